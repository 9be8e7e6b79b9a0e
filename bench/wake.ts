/**
 * `npm run bench:wake`: what clawfleet adds to a cold start, measured in one
 * run on this machine against its own baseline.
 *
 *   (a) bare OpenClaw: `openclaw gateway run` with the tenant's own config, environment and state
 *       (a copy of what the next cold wake restores), start to `/readyz` 200; (a') the same start
 *       until its Telegram webhook listener answers, which a wake must also wait for;
 *   (a0) the same bare start untrimmed: every default plugin, no shared compile cache, no
 *       embedding variables (supervisor/trimmed-boot.ts), i.e. OpenClaw's default boot;
 *   (b) cold wake: POST of a Telegram update to the router for a sleeping tenant until OpenClaw's
 *       durable ack (router → Temporal → worker → local runtime → supervisor → restore → gateway),
 *       with a per-phase breakdown (wake-trace.ts);
 *   (c) hot path: POST to the router for a running tenant until the durable ack;
 *   (d) snapshot of a tenant whose state holds 3 MB of incompressible data;
 *   with the local sandbox on (the default) and, in a second fleet of the same run, off: (b) and
 *   (c) on both, alternating, memory of the awake sandboxed tenant against its limits, and the
 *   machine's default capacity (wake-sandbox.ts).
 *   (e) paused resume: POST of a Telegram update to the router for a tenant paused (frozen in
 *       memory after its final snapshot) until OpenClaw's durable ack (wake-paused.ts).
 *
 * Each round runs (a), (a0), (b) and (b) with the sandbox off in a random order. Prints median and interquartile range of
 * each figure, the ratios b/a and b/a0, and writes bench/results/wake.json.
 * Targets: b/a ≤ 1.10, b − a ≤ 1.5 s, b/a0 ≤ 0.45, snapshot ≤ 1 s, (e) ≤ 100 ms median and ≤ 250 ms p99;
 * the sandbox adds ≤ 100 ms to (b) and nothing measurable to (c).
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { ensureOpenClaw } from '../dev/openclaw-install.js';
import { telegramUpdate } from '../fakes/fake-telegram.js';
import { type startFleet } from '../test/local/fleet.js';
import { type startFleetRouter } from '../test/local/fleet-router.js';
import { processesMentioning } from '../local/process-sweep.js';
import { rssByProcess, usageOf, pollUntil, quantile } from './stats.js';
import { report, type AwakeCost, type BareStart } from './wake-report.js';
import { traceWake, type WakeTrace } from './wake-trace.js';
import { bareStart, END_MARK_POLL_MS } from './wake-bare-start.js';
import { alternatingHotPath, reportSandbox, sandboxMemory, startSandboxPair } from './wake-sandbox.js';
import { pausedResumes } from './wake-paused.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const HOT_RUNS = 30;
const PAUSED_RUNS = Number(process.env['BENCH_PAUSED_RUNS'] ?? 30);
/** How long the idle running tenant's CPU use is sampled after the hot path. */
const IDLE_SAMPLE_MS = 20_000;
const TENANT = 'bench-wake';

const median = (values: number[]) => quantile(values, 0.5);
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const until = (what: string, timeoutMs: number, probe: () => Promise<boolean>) =>
  pollUntil(what, timeoutMs, END_MARK_POLL_MS, probe);

/** One fleet's tenant as the bench drives it: post an update, wake it cold, put it to sleep. */
async function subjectOf(fleet: Fleet, router: Awaited<ReturnType<typeof startFleetRouter>>) {
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
  const coldWake = async () => {
    const before = (await describe().catch(() => null))?.deliveredCount ?? 0;
    const posted = Date.now();
    await post();
    await until('the durable ack', 300_000, async () => (await describe()).deliveredCount > before);
    const recorded = Date.now();
    const trace = await traceWake({
      client: fleet.client,
      tenantId: TENANT,
      tenantDir: fleet.tenantDir(TENANT),
      posted,
      recorded,
    });
    return { ms: recorded - posted, trace };
  };
  const sleepTenant = async () => {
    await fleet.tenants.sleep(TENANT);
    await until('the tenant to sleep', 120_000, asleep);
  };
  return { post, describe, coldWake, sleepTenant };
}

type Fleet = Awaited<ReturnType<typeof startFleet>>;

async function main(): Promise<void> {
  // The bench's fleet runs with the local sandbox on (the default); a second one with it off is the baseline
  // of the sandbox's cost (wake-sandbox.ts). info: the supervisor logs the trace marks. Paused tenants stay
  // paused for the whole run (e).
  const pair = await startSandboxPair({ runtime: { deepSleepAfter: '1h' } });
  const { fleet, router } = pair.boxed;
  const { fleet: plainFleet, router: plainRouter } = pair.plain;
  try {
    const boxed = await subjectOf(fleet, router);
    const plain = await subjectOf(plainFleet, plainRouter);

    // The first wake creates the tenant's state (not counted); (c) and (d) run while it is up.
    console.log(`(b) cold wake (warm-up): ${seconds((await boxed.coldWake()).ms)}`);
    console.log(`(b) cold wake, sandbox off (warm-up): ${seconds((await plain.coldWake()).ms)}`);
    const awake = await hotAndSnapshot(boxed.post, fleet, boxed.describe);
    const hot = await alternatingHotPath(boxed.post, plain.post, HOT_RUNS);
    const memory = await sandboxMemory(fleet, TENANT);
    await Promise.all([boxed.sleepTenant(), plain.sleepTenant()]);
    const paused = await pausedResumes(fleet, router, PAUSED_RUNS);

    // (a), (a0), (b) and (b) unsandboxed in a random order each round, so load from anything else hits all alike.
    const install = await ensureOpenClaw({ cacheDir: fleet.config.common.cacheDir });
    const cold: number[] = [];
    const coldOff: number[] = [];
    const traces: WakeTrace[] = [];
    const bare: BareStart[] = [];
    const untrimmed: BareStart[] = [];
    const loads: number[] = [];
    for (let run = 1; run <= RUNS; run++) {
      for (const which of (['a', 'a0', 'b', 'b-off'] as const).toSorted(() => Math.random() - 0.5)) {
        loads.push(loadavg()[0]!);
        if (which === 'b') {
          const wake = await boxed.coldWake();
          cold.push(wake.ms);
          traces.push(wake.trace);
          console.log(`(b) cold wake ${run}: ${seconds(wake.ms)}`);
          await boxed.sleepTenant();
        } else if (which === 'b-off') {
          const wake = await plain.coldWake();
          coldOff.push(wake.ms);
          console.log(`(b) cold wake ${run}, sandbox off: ${seconds(wake.ms)}`);
          await plain.sleepTenant();
        } else {
          // On the unsandboxed fleet's tenant: bare OpenClaw runs unsandboxed, and a sleeping sandboxed
          // tenant's dir (its spec.json) is on its unmounted disk image.
          const start = await bareStart(plainFleet, TENANT, install, which === 'a0');
          (which === 'a' ? bare : untrimmed).push(start);
          console.log(
            `(${which}) bare OpenClaw ${run}: /readyz ${seconds(start.readyz)} (CPU ${seconds(start.cpuMs)}), listener ${seconds(start.listener)}`,
          );
        }
      }
    }
    const sandbox = reportSandbox({ coldOn: cold, coldOff, ...hot, memory });
    await report({
      runs: RUNS,
      hotRuns: HOT_RUNS,
      cold,
      traces,
      bare,
      untrimmed,
      loads,
      awake,
      sandbox,
      paused,
    });
  } finally {
    await pair.close();
  }
}

/** (c) hot-path deliveries and (d) 3 MB snapshots while the tenant runs after its first wake. */
async function hotAndSnapshot(
  post: () => Promise<void>,
  fleet: Fleet,
  describe: () => ReturnType<typeof fleet.tenants.describe>,
): Promise<AwakeCost> {
  await sleep(3_000); // the endpoint is published right after the wake
  const hot: number[] = [];
  for (let i = 0; i < HOT_RUNS; i++) {
    const t0 = performance.now();
    await post();
    hot.push(performance.now() - t0);
  }
  console.log(`(c) hot path, webhook to durable ack: median ${median(hot).toFixed(1)} ms over ${HOT_RUNS}`);
  await sleep(5_000); // the turns the updates started finish (replies via the fake Bot API)
  const pids = await processesMentioning(fleet.tenantDir(TENANT));
  const idleStart = await usageOf(pids);
  await sleep(IDLE_SAMPLE_MS);
  const idleEnd = await usageOf(pids);
  const awake: AwakeCost = {
    rssMb: idleEnd.rssMb,
    processes: await rssByProcess(pids),
    hotPathMs: median(hot),
    idleCpuPercent: Number((((idleEnd.cpuMs - idleStart.cpuMs) / IDLE_SAMPLE_MS) * 100).toFixed(2)),
  };
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
  return awake;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
