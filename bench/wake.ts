/**
 * `npm run bench:wake`: what clawfleet adds to a cold start, measured in one
 * run on this machine against its own baseline.
 *
 *   (a) bare OpenClaw: `openclaw gateway run` with the tenant's own config, start to `/readyz` 200;
 *   (b) cold wake: POST of a Telegram update to the router for a sleeping tenant until OpenClaw's
 *       durable ack (router → Temporal → worker → local runtime → supervisor → restore → gateway);
 *   (c) hot path: POST to the router for a running tenant until the durable ack;
 *   (d) snapshot of a tenant whose state holds 3 MB of incompressible data.
 *
 * Prints medians and the ratio b/a. Targets: b/a ≤ 1.10, b − a ≤ 1.5 s, snapshot ≤ 1 s.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureOpenClaw, openclawCommand } from '../dev/openclaw-install.js';
import { telegramUpdate } from '../fakes/fake-telegram.js';
import { gatewayEnv, writeOpenClawConfig } from '../pod/gateway-launch.js';
import { loadSecrets, parseSpec, SECRET_SOURCES } from '../pod/supervisor-config.js';
import { killProcessesOf } from '../local/process-sweep.js';
import { startFleet } from '../test/local/fleet.js';
import { startFleetRouter } from '../test/local/fleet-router.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const HOT_RUNS = 30;
const TENANT = 'bench-wake';

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function main(): Promise<void> {
  const fleet = await startFleet({ capacity: 2 });
  const router = await startFleetRouter(fleet);
  try {
    const { webhookSecret } = await fleet.registerTenant(TENANT);
    let updateId = 1;
    const post = async () => {
      const response = await router.telegram(
        TENANT,
        webhookSecret,
        telegramUpdate({ updateId: updateId++, text: `bench message ${updateId}` }),
      );
      if (response.status !== 200) throw new Error(`router answered ${response.status}`);
    };
    const describe = () => fleet.tenants.describe(TENANT);
    const asleep = async () => (await describe().catch(() => null))?.phase === 'asleep';

    // (b) cold wakes; the first one also creates the tenant's state (not counted).
    const cold: number[] = [];
    for (let run = 0; run <= RUNS; run++) {
      const before = (await describe().catch(() => null))?.deliveredCount ?? 0;
      const t0 = performance.now();
      await post();
      await until('the durable ack', 300_000, async () => (await describe()).deliveredCount > before);
      if (run > 0) cold.push(performance.now() - t0);
      console.log(`(b) cold wake ${run === 0 ? '(warm-up)' : run}: ${seconds(performance.now() - t0)}`);
      if (run === 0) await hotAndSnapshot(post, fleet, describe);
      await fleet.tenants.sleep(TENANT);
      await until('the tenant to sleep', 120_000, asleep);
    }

    // (a) bare OpenClaw with the same config (the spec the runtime wrote at the last wake).
    const bare = await bareStarts(fleet.tenantDir(TENANT), fleet);

    const a = median(bare);
    const b = median(cold);
    console.log('\nmedians over', RUNS, 'runs');
    console.log(`(a) bare OpenClaw start to /readyz: ${seconds(a)}`);
    console.log(`(b) cold wake, webhook to durable ack: ${seconds(b)}`);
    console.log(`b/a = ${(b / a).toFixed(3)} (target ≤ 1.10); b − a = ${seconds(b - a)} (target ≤ 1.5 s)`);
  } finally {
    await router.close();
    await fleet.stop();
  }
}

/** (c) hot-path deliveries and (d) 3 MB snapshots while the tenant runs after its first wake. */
async function hotAndSnapshot(
  post: () => Promise<void>,
  fleet: Awaited<ReturnType<typeof startFleet>>,
  describe: () => ReturnType<typeof fleet.tenants.describe>,
): Promise<void> {
  await sleep(3_000); // the endpoint is published right after the wake
  const hot: number[] = [];
  for (let i = 0; i < HOT_RUNS; i++) {
    const t0 = performance.now();
    await post();
    hot.push(performance.now() - t0);
  }
  console.log(`(c) hot path, webhook to durable ack: median ${median(hot).toFixed(1)} ms over ${HOT_RUNS}`);
  const workspace = join(fleet.tenantDir(TENANT), 'state', 'workspace');
  await writeFile(join(workspace, 'bench-3mb.bin'), randomBytes(3 * 1024 * 1024));
  const pod = (await describe()).pod!;
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const manifest = await fleet.adapters.deps.agent.snapshot(pod);
    times.push(performance.now() - t0);
    if (i === 0) console.log(`(d) snapshot size ${(manifest.size / 1024 / 1024).toFixed(2)} MB (encrypted)`);
  }
  console.log(`(d) snapshot of a 3 MB state: median ${seconds(median(times))} (target ≤ 1 s)`);
}

/** Start OpenClaw alone with the tenant's config and secrets `RUNS` times, each on a fresh state dir. */
async function bareStarts(
  tenantDir: string,
  fleet: Awaited<ReturnType<typeof startFleet>>,
): Promise<number[]> {
  const install = await ensureOpenClaw({ cacheDir: fleet.config.cacheDir });
  const tenantSpec = parseSpec(JSON.parse(await readFile(join(tenantDir, 'spec.json'), 'utf8')));
  const env: NodeJS.ProcessEnv = {};
  const names: Record<string, string> = {
    supervisorToken: 'supervisor-token',
    gatewayToken: 'gateway-token',
    telegramBotToken: 'telegram-bot-token',
    telegramWebhookSecret: 'telegram-webhook-secret',
    modelApiKey: 'model-fake',
  };
  for (const [key, name] of Object.entries(names))
    env[SECRET_SOURCES[key as keyof typeof SECRET_SOURCES]] = await fleet.secrets.resolve(TENANT, name);
  const times: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const rootDir = await mkdtemp(join(tmpdir(), 'clawfleet-bare-'));
    const spec = { ...tenantSpec, rootDir };
    const secrets = await loadSecrets(spec, env);
    await writeOpenClawConfig(spec);
    const [file, args] = openclawCommand(install, ['gateway', 'run']);
    const t0 = performance.now();
    const child = spawn(file, args, {
      env: gatewayEnv({ spec, secrets }),
      cwd: rootDir,
      stdio: 'ignore',
      detached: true,
    });
    const ready = `http://${spec.gateway.host}:${spec.gateway.port}/readyz`;
    await until('bare OpenClaw /readyz', 300_000, () =>
      fetch(ready, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.status === 200,
        () => false,
      ),
    );
    times.push(performance.now() - t0);
    console.log(`(a) bare OpenClaw start ${run}: ${seconds(performance.now() - t0)}`);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await killProcessesOf(rootDir);
    await rm(rootDir, { recursive: true, force: true });
  }
  return times;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
