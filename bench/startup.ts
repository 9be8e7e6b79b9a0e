/**
 * `npm run bench:startup`: how long clawfleet's processes take to start when
 * they run the build (`node dist/...js`, what production runs) against the
 * same processes run from source (`node --import tsx ...ts`, the baseline), in
 * one run on this machine, the modes alternating round by round:
 *
 *   router   start to `/readyz` 200;
 *   worker   start to polling (Temporal lists a poller with the worker's pid);
 *   wake     cold wake with no warm supervisor: `TenantClient.wake` until the tenant's real
 *            OpenClaw is ready (the worker of that mode launches the supervisor of that mode);
 *   supervisor  that wake's supervisor process start to listening (its "restoring state" record,
 *            wake-trace.ts).
 *
 * Builds first (`npm run build`), so the figures are for the current sources. Prints medians,
 * spreads (min–max) and the ratio built/source of the medians. BENCH_RUNS sets the rounds (5).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { AdminClient } from '../client/admin-client.js';
import { TenantClient } from '../client/tenant-client.js';
import {
  adminTokenPath,
  loadConfig,
  withOverrides,
  withoutMasterKey,
  type Config,
} from '../common/config.js';
import { PACKAGE_ROOT, type RunMode } from '../common/entry-points.js';
import { freePort } from '../dev/ports.js';
import { startStack, ANY_PORTS } from '../dev/stack.js';
import { startTimed, spread } from './startup-processes.js';
import { phasesOf, traceWake } from './wake-trace.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const TENANT = 'bench-startup';
const METRICS = ['router', 'worker', 'supervisor', 'wake'] as const;
type Metric = (typeof METRICS)[number];
const MODES: readonly RunMode[] = ['source', 'built'];

async function main(): Promise<void> {
  const build = spawnSync('npm', ['run', 'build'], { cwd: PACKAGE_ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  const dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-bench-startup-'));
  const stack = await startStack({
    config: withOverrides(loadConfig({}), {
      common: { dataDir, logLevel: 'info' }, // the supervisor logs the marks the trace reads
      local: { portBase: 25000, warmSupervisors: 0 }, // every wake starts its supervisor: what is measured
    }),
    ports: ANY_PORTS,
    offline: true,
    apps: false, // the bench starts each process itself, in each mode
  });
  const config = stack.config;
  const logs = join(dataDir, 'logs');
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const tenants = new TenantClient({ client, taskQueue: config.temporal.taskQueue });
  const results: Record<RunMode, Record<Metric, number[]>> = {
    source: { router: [], worker: [], supervisor: [], wake: [] },
    built: { router: [], worker: [], supervisor: [], wake: [] },
  };
  // The admin API (from source, once): it writes the router key file and creates the tenant.
  const admin = await startTimed({
    mode: 'source',
    entry: 'admin/server',
    config,
    logFile: join(logs, 'bench-admin.log'),
    ready: async () => (await fetch(`http://${config.router.host}:${config.admin.port}/healthz`)).ok,
  });
  try {
    const token = (await readFile(adminTokenPath(config), 'utf8')).trim();
    const adminClient = new AdminClient({
      baseUrl: `http://${config.router.host}:${config.admin.port}`,
      token,
    });
    await adminClient.createTenant({ tenantId: TENANT });
    for (let round = 0; round < RUNS; round++) {
      const order = round % 2 ? [...MODES].reverse() : MODES;
      for (const mode of order) {
        const row = results[mode];
        row.router.push(await routerStart(mode, config, logs));
        const { worker, supervisor, wake } = await workerAndWake(mode, config, logs, {
          connection,
          tenants,
          client,
        });
        row.worker.push(worker);
        row.supervisor.push(supervisor);
        row.wake.push(wake);
        console.log(
          `round ${round + 1}/${RUNS} ${mode.padEnd(6)} router ${ms(row.router.at(-1)!)}  worker ${ms(worker)}  ` +
            `supervisor ${ms(supervisor)}  cold wake ${ms(wake)}`,
        );
      }
    }
    report(results);
  } finally {
    await admin.stop();
    await connection.close();
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function routerStart(mode: RunMode, config: Config, logs: string): Promise<number> {
  const port = await freePort(config.router.host);
  const router = await startTimed({
    mode,
    entry: 'router/server',
    config: { ...withoutMasterKey(config), router: { ...config.router, port } },
    logFile: join(logs, `bench-router-${mode}.log`),
    ready: async () => (await fetch(`http://${config.router.host}:${port}/readyz`)).ok,
  });
  await router.stop();
  return router.ms;
}

/** A worker of `mode` on the tenant's task queue: its start, then one cold wake it serves. */
async function workerAndWake(
  mode: RunMode,
  config: Config,
  logs: string,
  temporal: { connection: Connection; tenants: TenantClient; client: Client },
): Promise<{ worker: number; supervisor: number; wake: number }> {
  const worker = await startTimed({
    mode,
    entry: 'worker/main',
    config,
    logFile: join(logs, `bench-worker-${mode}.log`),
    ready: async (child) => {
      const response = await temporal.connection.workflowService.describeTaskQueue({
        namespace: config.temporal.namespace,
        taskQueue: { name: config.temporal.taskQueue },
        taskQueueType: 1, // workflow task queue
      });
      // Pollers of earlier workers linger in the list for a while: look for this one's identity.
      return (response.pollers ?? []).some((p) => p.identity?.startsWith(`${child.pid}@`));
    },
  });
  try {
    const posted = Date.now();
    const started = performance.now();
    await temporal.tenants.wake(TENANT);
    const wake = performance.now() - started;
    const trace = await traceWake({
      client: temporal.client,
      tenantId: TENANT,
      tenantDir: join(config.common.dataDir, 'tenants', TENANT),
      posted,
      recorded: Date.now(),
    });
    const supervisor = phasesOf(trace).restoring;
    if (supervisor === undefined || trace.processStarted === undefined)
      throw new Error('the wake trace has no supervisor start (was a warm supervisor claimed?)');
    await temporal.tenants.sleep(TENANT);
    const deadline = Date.now() + 120_000;
    while ((await temporal.tenants.describe(TENANT)).phase !== 'asleep') {
      if (Date.now() > deadline) throw new Error('the tenant did not fall asleep');
      await new Promise((r) => setTimeout(r, 200));
    }
    return { worker: worker.ms, supervisor, wake };
  } finally {
    await worker.stop();
  }
}

function report(results: Record<RunMode, Record<Metric, number[]>>): void {
  const labels: Record<Metric, string> = {
    router: 'router start → /readyz 200',
    worker: 'worker start → polling',
    supervisor: 'supervisor start → listening (cold wake)',
    wake: 'cold wake, no warm supervisor',
  };
  console.log(`\nstart-up, built (node dist/…js) vs source (node --import tsx …ts), ${RUNS} rounds`);
  // Per-round ratios too: the two modes of one round ran back to back, under about the same load.
  console.log(
    `${'measure'.padEnd(44)}${'source median (min–max)'.padEnd(34)}${'built median (min–max)'.padEnd(34)}` +
      `built/source: of medians, per round median (min–max)`,
  );
  for (const metric of METRICS) {
    const source = spread(results.source[metric]);
    const built = spread(results.built[metric]);
    const paired = spread(
      results.built[metric].map((value, round) => value / results.source[metric][round]!),
    );
    const cell = (s: typeof source) => `${ms(s.median)} (${ms(s.min)}–${ms(s.max)})`.padEnd(34);
    const ratio = (value: number) => value.toFixed(2);
    console.log(
      `${labels[metric].padEnd(44)}${cell(source)}${cell(built)}${ratio(built.median / source.median)}, ` +
        `${ratio(paired.median)} (${ratio(paired.min)}–${ratio(paired.max)})`,
    );
  }
}

const ms = (value: number) => `${Math.round(value)} ms`;

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
