/**
 * (a) and (a0) of `npm run bench:wake` (wake.ts): the bare OpenClaw start a
 * cold wake is measured against, on the very state and config that wake
 * restores, trimmed as the supervisor boots it or untrimmed.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelBearer } from '../common/model-token.js';
import { type ensureOpenClaw, openclawCommand } from '../dev/openclaw-install.js';
import { killProcessesOf } from '../local/process-sweep.js';
import { S3SnapshotStore } from '../snapshots/s3-snapshot-store.js';
import { gatewayEnv, writeOpenClawConfig } from '../supervisor/gateway-launch.js';
import { parseSpec, type PodSecrets } from '../supervisor/supervisor-config.js';
import { trimmedBootEnv } from '../supervisor/trimmed-boot.js';
import { type startFleet } from '../test/local/fleet.js';
import { pollUntil, treeUsage } from './stats.js';
import type { BareStart } from './wake-report.js';

/** How often (a) and (b) look for their end mark: the same for both, so neither gains from it. */
export const END_MARK_POLL_MS = 20;

const until = (what: string, timeoutMs: number, probe: () => Promise<boolean>) =>
  pollUntil(what, timeoutMs, END_MARK_POLL_MS, probe);

/**
 * OpenClaw alone with the tenant's config, secrets and environment, on its
 * newest snapshot restored exactly as a cold wake restores it, on the
 * tenant's own ports while it sleeps.
 */
export async function bareStart(
  fleet: Awaited<ReturnType<typeof startFleet>>,
  tenantId: string,
  install: Awaited<ReturnType<typeof ensureOpenClaw>>,
  untrimmed: boolean,
): Promise<BareStart> {
  const tenantDir = fleet.tenantDir(tenantId);
  const tenantSpec = parseSpec(JSON.parse(await readFile(join(tenantDir, 'spec.json'), 'utf8')));
  // Only what the gateway's environment carries (gateway-launch.ts), resolved as the launch planner does.
  const secrets: PodSecrets = {
    gatewayToken: await fleet.secrets.resolve(tenantId, 'gateway-token'),
    telegramBotToken: await fleet.secrets.resolve(tenantId, 'telegram-bot-token'),
    telegramWebhookSecret: await fleet.secrets.resolve(tenantId, 'telegram-webhook-secret'),
    modelToken: modelBearer(tenantId, await fleet.secrets.resolve(tenantId, 'model-token')),
  };
  const rootDir = await mkdtemp(join(tmpdir(), 'clawfleet-bare-'));
  try {
    const spec = { ...tenantSpec, rootDir };
    // The very restore a cold wake does: the tenant's newest snapshot, through the snapshot store.
    const store = new S3SnapshotStore({
      s3: fleet.s3.client,
      bucket: fleet.s3.bucket,
      masterKey: fleet.masterKey,
    });
    const latestSeq = (await fleet.registry.get(tenantId))?.latestSnapshotSeq ?? undefined;
    await store.restoreLatest(tenantId, join(rootDir, 'state'), latestSeq ? { latestSeq } : {});
    for (const sub of ['home', 'tmp']) await mkdir(join(rootDir, sub), { mode: 0o700 });
    await writeOpenClawConfig(spec);
    const env = gatewayEnv({ spec, secrets });
    if (untrimmed) await untrim(join(rootDir, 'state', 'openclaw.json'), env, spec.openclaw.entry);
    const [file, args] = openclawCommand(install, ['gateway', 'run']);
    const t0 = performance.now();
    const child = spawn(file, args, {
      env,
      cwd: rootDir,
      // Output read through pipes and thrown away, as the supervisor reads its gateway's.
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout?.resume();
    child.stderr?.resume();
    try {
      const ready = `http://${spec.gateway.host}:${spec.gateway.port}/readyz`;
      await until('bare OpenClaw /readyz', 300_000, () =>
        fetch(ready, { signal: AbortSignal.timeout(2_000) }).then(
          (r) => r.status === 200,
          () => false,
        ),
      );
      const readyz = performance.now() - t0;
      const { cpuMs } = await treeUsage(child.pid!);
      const telegram = spec.telegram!;
      const webhook = `http://${spec.gateway.host}:${telegram.webhookPort}${telegram.webhookPath ?? '/telegram-webhook'}`;
      await until('bare OpenClaw Telegram listener', 60_000, () =>
        fetch(webhook, { method: 'POST', body: '{}', signal: AbortSignal.timeout(2_000) }).then(
          (r) => r.status === 401,
          () => false,
        ),
      );
      return { readyz, listener: performance.now() - t0, cpuMs };
    } finally {
      // A gateway that died on its own (its exit already seen) would leave this waiting for ever.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await killProcessesOf(rootDir);
    }
  } finally {
    await rm(rootDir, { recursive: true, force: true });
  }
}

/** (a0): OpenClaw's default boot: every default plugin, no trimmed-boot variables. */
async function untrim(configPath: string, env: NodeJS.ProcessEnv, entry: string): Promise<void> {
  const config = JSON.parse(await readFile(configPath, 'utf8')) as { plugins: Record<string, unknown> };
  delete config.plugins['allow'];
  await writeFile(configPath, JSON.stringify(config), { mode: 0o600 });
  for (const name of Object.keys(trimmedBootEnv(entry))) delete env[name];
}
