/**
 * `npm run bench:boot`: OpenClaw's own cold boot as clawfleet now starts it
 * (supervisor/trimmed-boot.ts: shared read-only compile cache warmed at
 * install, only the plugins a tenant uses, the embedding preset) against
 * (a0), the untrimmed default boot (every default plugin, the compile cache
 * in the tenant's empty TMPDIR, no embedding variables), in one run.
 *
 * Both boot `openclaw gateway run` with the tenant's config shape from an
 * empty state dir, start to `/readyz` 200. Runs are interleaved in a random
 * order. For each it records wall time, the CPU time the gateway's process
 * tree spent until ready (far less sensitive than wall time to other load
 * on a shared machine) and the tree's RSS at ready. Prints and writes
 * (bench/results/boot.json) median and interquartile range of each figure
 * and the trimmed/untrimmed ratios of the medians, with the load average.
 * BENCH_RUNS sets the runs per variant (5).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../common/config.js';
import { PACKAGE_ROOT } from '../common/entry-points.js';
import { ensureOpenClaw, type OpenClawInstall } from '../dev/openclaw-install.js';
import { freePort } from '../dev/ports.js';
import { buildOpenClawConfig } from '../supervisor/openclaw-config.js';
import { trimmedBootEnv } from '../supervisor/trimmed-boot.js';
import { summary, treeUsage } from './stats.js';
import { bareGatewayEnv } from '../dev/bare-gateway-env.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const VARIANTS = ['untrimmed', 'trimmed'] as const;
type Variant = (typeof VARIANTS)[number];
interface Boot {
  readonly readyMs: number;
  readonly cpuMs: number;
  readonly rssMb: number;
  readonly plugins: string;
}

async function boot(install: OpenClawInstall, variant: Variant): Promise<Boot> {
  const root = await mkdtemp(join(tmpdir(), 'clawfleet-bench-boot-'));
  const stateDir = join(root, 'state');
  try {
    for (const dir of ['state/logs', 'home', 'tmp']) await mkdir(join(root, dir), { recursive: true });
    const port = await freePort();
    const config = buildOpenClawConfig({
      tenantId: 'bench-boot',
      paths: { workspaceDir: join(stateDir, 'workspace'), logFile: join(stateDir, 'logs', 'openclaw.log') },
      gateway: { host: '127.0.0.1', port },
      provider: { name: 'bench', baseUrl: 'http://127.0.0.1:9/v1', modelId: 'none' },
    });
    if (variant === 'untrimmed') delete (config['plugins'] as Record<string, unknown>)['allow'];
    await writeFile(join(stateDir, 'openclaw.json'), JSON.stringify(config), { mode: 0o600 });
    const env = {
      ...bareGatewayEnv(install.node, root, stateDir),
      OPENCLAW_GATEWAY_TOKEN: 'bench-boot-token-bench-boot-token-bench',
      CLAWFLEET_MODEL_TOKEN: 'unused',
      ...(variant === 'trimmed' ? trimmedBootEnv(install.entry) : {}),
    };
    const started = Date.now();
    const child = spawn(install.node, [install.entry, 'gateway', 'run'], {
      env,
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      for (;;) {
        if (child.exitCode !== null) throw new Error(`gateway exited before ready:\n${log.slice(-2000)}`);
        if (Date.now() - started > 300_000) throw new Error('gateway not ready in 300 s');
        const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ok) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const readyMs = Date.now() - started;
      const usage = await treeUsage(child.pid!);
      const plugins = /http server listening \((\d+ plugins?)/.exec(log)?.[1] ?? '?';
      return { readyMs, ...usage, plugins };
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Median and quartiles of the 1-minute load average, two decimals. */
const loadSummary = (loads: number[]) => {
  const { median, q1, q3 } = summary(loads.map((l) => l * 100));
  return { median: median / 100, q1: q1 / 100, q3: q3 / 100 };
};

async function main(): Promise<void> {
  const install = await ensureOpenClaw({ cacheDir: loadConfig().common.cacheDir, report: console.log });
  const order = VARIANTS.flatMap((v) => Array.from({ length: RUNS }, () => v)).sort(
    () => Math.random() - 0.5,
  );
  const runs: Record<Variant, Boot[]> = { untrimmed: [], trimmed: [] };
  const loads: number[] = [];
  for (const [i, variant] of order.entries()) {
    loads.push(loadavg()[0]!);
    const result = await boot(install, variant);
    runs[variant].push(result);
    console.log(`${i + 1}/${order.length} ${variant}: ${JSON.stringify(result)}`);
  }
  const figures = (variant: Variant) => ({
    readyMs: summary(runs[variant].map((r) => r.readyMs)),
    cpuMs: summary(runs[variant].map((r) => r.cpuMs)),
    rssMb: summary(runs[variant].map((r) => r.rssMb)),
    plugins: runs[variant][0]?.plugins,
  });
  const untrimmed = figures('untrimmed');
  const trimmed = figures('trimmed');
  const result = {
    runsPerVariant: RUNS,
    loadAverage1m: loadSummary(loads),
    cpuCores: (await readFile('/proc/cpuinfo', 'utf8')).match(/^processor/gm)?.length,
    untrimmed,
    trimmed,
    readyRatio: Number((trimmed.readyMs.median / untrimmed.readyMs.median).toFixed(3)),
    cpuRatio: Number((trimmed.cpuMs.median / untrimmed.cpuMs.median).toFixed(3)),
    rssRatio: Number((trimmed.rssMb.median / untrimmed.rssMb.median).toFixed(3)),
  };
  console.log(JSON.stringify(result, null, 2));
  await writeFile(
    join(PACKAGE_ROOT, 'bench', 'results', 'boot.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
}

await main();
