/**
 * `npm run bench:compile-cache-uid`: what the shared compile cache's link
 * for a sandbox's uid (local/sandbox/compile-cache-links.ts) saves on one
 * OpenClaw boot, without the rest of a wake. A bare gateway (the warm-up's
 * config and the tenants' environment) boots to `/readyz` as a slot-like uid
 * in a bwrap view with the install read-only, alternately with the uid's link
 * (as every sandbox now has) and without it (as before), `BENCH_RUNS` pairs
 * (default 3). Prints wall time and the CPU time of the boot's process tree.
 */
import { spawn } from 'node:child_process';
import { chown, mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { loadConfig } from '../common/config.js';
import { bareGatewayEnv } from '../dev/bare-gateway-env.js';
import { ensureOpenClaw } from '../dev/openclaw-install.js';
import { freePort } from '../dev/ports.js';
import { linkCompileCache } from '../local/sandbox/compile-cache-links.js';
import { buildOpenClawConfig } from '../supervisor/openclaw-config.js';
import { compileCacheDir, trimmedBootEnv } from '../supervisor/trimmed-boot.js';
import { pollUntil, quantile, treeUsage } from './stats.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const UID = 398_000 + Math.floor(Math.random() * 1000);
const MOUNTED = '/mnt/openclaw';

async function boot(
  install: Awaited<ReturnType<typeof ensureOpenClaw>>,
): Promise<{ ms: number; cpuMs: number }> {
  const root = await mkdtemp(join(tmpdir(), 'clawfleet-cc-uid-'));
  try {
    const stateDir = join(root, 'state');
    for (const dir of ['state/logs', 'home', 'tmp']) await mkdir(join(root, dir), { recursive: true });
    const port = await freePort();
    const config = buildOpenClawConfig({
      tenantId: 'compile-cache-uid',
      paths: { workspaceDir: join(stateDir, 'workspace'), logFile: join(stateDir, 'logs', 'openclaw.log') },
      gateway: { host: '127.0.0.1', port },
      provider: { name: 'probe', baseUrl: 'http://127.0.0.1:9/v1', modelId: 'none' },
    });
    await writeFile(join(stateDir, 'openclaw.json'), JSON.stringify(config), { mode: 0o600 });
    for (const path of [
      root,
      stateDir,
      join(stateDir, 'logs'),
      join(stateDir, 'openclaw.json'),
      join(root, 'home'),
      join(root, 'tmp'),
    ])
      await chown(path, UID, UID);
    const entry = join(MOUNTED, relative(install.dir, install.entry));
    const view = [
      '--ro-bind',
      '/',
      '/',
      '--dev',
      '/dev',
      '--proc',
      '/proc',
      '--tmpfs',
      '/mnt',
      '--perms',
      '1777',
      '--tmpfs',
      '/tmp',
    ];
    const args = [
      ...view,
      ...['--ro-bind', install.dir, MOUNTED, '--bind', root, root, '--die-with-parent'],
      ...['setpriv', '--reuid', String(UID), '--regid', String(UID), '--clear-groups'],
      ...[install.node, entry, 'gateway', 'run'],
    ];
    const env = {
      ...bareGatewayEnv(install.node, root, stateDir),
      OPENCLAW_GATEWAY_TOKEN: 'compile-cache-uid-probe-token-never-used-anywhere',
      CLAWFLEET_MODEL_TOKEN: 'unused',
      ...trimmedBootEnv(entry),
    };
    const t0 = performance.now();
    const child = spawn('bwrap', args, { env, cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    try {
      await pollUntil('/readyz', 600_000, 50, () => {
        if (child.exitCode !== null) throw new Error(`gateway exited (${child.exitCode}): ${stderr}`);
        return fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        );
      });
      const ms = performance.now() - t0;
      return { ms, cpuMs: (await treeUsage(child.pid!)).cpuMs };
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const install = await ensureOpenClaw({ cacheDir: loadConfig().common.cacheDir });
  const cache = compileCacheDir(install.entry);
  const results = {
    linked: [] as { ms: number; cpuMs: number }[],
    unlinked: [] as { ms: number; cpuMs: number }[],
  };
  for (let run = 1; run <= RUNS; run++) {
    for (const which of (['linked', 'unlinked'] as const).toSorted(() => Math.random() - 0.5)) {
      const made = which === 'linked' ? await linkCompileCache(cache, UID) : [];
      try {
        // Under load OpenClaw's own startup lease can time out (exit 78): that boot is retried, not counted.
        let result: { ms: number; cpuMs: number } | undefined;
        for (let attempt = 1; !result; attempt++)
          result = await boot(install).catch((error: unknown) => {
            if (attempt >= 3) throw error;
            console.log(`${run} ${which}: boot failed, retried (${String(error).slice(0, 120)})`);
            return undefined;
          });
        results[which].push(result);
        console.log(
          `${run} ${which}: /readyz ${(result.ms / 1000).toFixed(2)} s, CPU ${(result.cpuMs / 1000).toFixed(2)} s (load ${loadavg()[0]!.toFixed(1)})`,
        );
      } finally {
        await Promise.all(made.map((link) => unlink(join(cache, link))));
      }
    }
  }
  for (const which of ['linked', 'unlinked'] as const) {
    const ms = results[which].map((r) => r.ms);
    const cpu = results[which].map((r) => r.cpuMs);
    console.log(
      `${which}: /readyz median ${(quantile(ms, 0.5) / 1000).toFixed(2)} s (IQR ${(quantile(ms, 0.25) / 1000).toFixed(2)}–${(quantile(ms, 0.75) / 1000).toFixed(2)}), CPU median ${(quantile(cpu, 0.5) / 1000).toFixed(2)} s (IQR ${(quantile(cpu, 0.25) / 1000).toFixed(2)}–${(quantile(cpu, 0.75) / 1000).toFixed(2)})`,
    );
  }
  const paired = results.linked.map((r, i) => (results.unlinked[i]!.cpuMs - r.cpuMs) / 1000);
  console.log(`CPU saved by the link, per pair: ${paired.map((d) => d.toFixed(2)).join(', ')} s`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
