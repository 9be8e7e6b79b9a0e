/**
 * `npm run bench:sandbox`: what the local sandbox (local/sandbox/) adds to a
 * launch, against the same launch without it, in one run on this machine.
 *
 *   (a) unsandboxed: a LocalRuntime launch (real supervisor, stand-in OpenClaw, restore
 *       through a real snapshot grant from s3rver) until the supervisor reports ready,
 *       claiming a warm supervisor process (the default pool of one);
 *   (b) the same launch with the sandbox on, claiming a pre-built slot sandbox with its warm
 *       supervisor inside (local/sandbox/warm-sandboxes.ts): the claim mounts the tenant's dir
 *       in and sets its tier's limits; restore goes through the egress;
 *   (b1) as (b), without the tier's CPU quota: (b) − (b1) is what the quota costs the start,
 *       (b1) − (a) what the sandbox's mechanism and CPU weight cost;
 *   (b0) the sandboxed launch with the pool off: cgroups, netns, egress sockets, bubblewrap,
 *       setpriv and the supervisor's own start all on the launch's path;
 *   (m) a streamed model call direct and through the egress path (sandbox-egress.ts): what the
 *       egress adds to each model call of a turn on the hot path.
 *
 * Runs alternate (a), (b), (b1), (b0), … with a fresh tenant each; after each stop every runtime
 * gets the same pause to refill its pool. Prints medians, IQR, min–max, b − a, b0 − a and b/a, and
 * writes bench/results/sandbox.json. Target (issue 19): b − a ≤ 100 ms; (m) nothing measurable.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { PodSpec } from '../activities/ports.js';
import { LocalRuntime } from '../local/local-runtime.js';
import { TIER_LIMITS } from '../local/sandbox/limits.js';
import type { Placement } from '../runtime/launch-plan.js';
import { PodLostRecorder } from '../test/helpers/runtime-contract.js';
import { startS3 } from '../test/helpers/s3.js';
import { testGrants } from '../test/helpers/snapshot-grants.js';
import { standInPlan, standInSpec } from '../test/local/stand-in-plan.js';
import { egressModelCalls } from './sandbox-egress.js';
import { quantile, summary } from './stats.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 7);
const MODEL_CALLS = 40;
/** The pause after each round in which every pool refills (a pre-built sandbox takes ~1 s on an idle host). */
const REFILL_MS = 4_000;
const NO_CPU_QUOTA = Object.fromEntries(
  Object.entries(TIER_LIMITS).map(([tier, limits]) => [tier, { ...limits, cpuMilliCores: 64_000 }]),
) as typeof TIER_LIMITS;
const logger = pino({ level: 'silent' });

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const ms = (value: number) => `${value.toFixed(0)} ms`;
const range = (values: number[]) =>
  `IQR ${ms(quantile(values, 0.25))}–${ms(quantile(values, 0.75))}, ${ms(Math.min(...values))}–${ms(Math.max(...values))}`;

const fineSummary = (v: number[]) =>
  Object.fromEntries(
    Object.entries({ median: 0.5, q1: 0.25, q3: 0.75 }).map(([k, q]) => [
      k,
      Number(quantile(v, q).toFixed(2)),
    ]),
  );

async function main(): Promise<void> {
  const s3 = await startS3('bench-sandbox');
  const dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-bench-sandbox-'));
  const grants = await testGrants(s3, join(dataDir, 'master.key'));
  // The stand-in in an install layout of its own, as the sandbox binds an install (not the repo's test dir).
  const install = join(dataDir, 'install', 'node_modules', 'openclaw');
  await mkdir(install, { recursive: true });
  const standIn = join(install, 'openclaw.mjs');
  await copyFile(join(import.meta.dirname, '..', 'test', 'supervisor', 'stand-in-openclaw.mjs'), standIn);
  const plan = standInPlan(grants);
  const runtime = (sandboxed: boolean, warm: number, dir: string, portBase: number, limits = TIER_LIMITS) =>
    new LocalRuntime({
      dataDir: dir,
      portBase,
      capacity: 2,
      warmSupervisors: warm,
      plan: async (pod: PodSpec, placement: Placement, rootDir: string) => {
        const planned = await plan(pod, placement, rootDir);
        return {
          ...planned,
          spec: { ...planned.spec, openclaw: { ...planned.spec.openclaw, entry: standIn } },
        };
      },
      events: new PodLostRecorder(),
      salvage: () => Promise.resolve(null),
      logger,
      stopGraceMs: 10_000,
      ...(sandboxed && {
        sandbox: {
          limits,
          uidBase: 360_000 + portBase,
          egressAllow: [new URL(s3.endpoint).host, '127.0.0.1:1'],
        },
      }),
    });
  const subjects = {
    a: runtime(false, 1, join(dataDir, 'plain'), 25_000),
    b: runtime(true, 1, join(dataDir, 'boxed'), 25_100),
    b1: runtime(true, 1, join(dataDir, 'boxed-no-quota'), 25_300, NO_CPU_QUOTA),
    b0: runtime(true, 0, join(dataDir, 'boxed-cold'), 25_200),
  };
  const times = { a: [] as number[], b: [] as number[], b1: [] as number[], b0: [] as number[] };
  const loads: number[] = [];
  let claimed = 0;
  try {
    for (const subject of Object.values(subjects)) await subject.prewarm();
    for (let run = 0; run <= RUNS; run++) {
      for (const name of ['a', 'b', 'b1', 'b0'] as const) {
        const subject = subjects[name];
        const warm = subject.prebuiltSandboxes()[0];
        const spec = standInSpec(`bench-${name}-${run}`, 1);
        loads.push(loadavg()[0]!);
        const started = performance.now();
        const handle = await subject.launch(spec, {});
        const elapsed = performance.now() - started;
        if (name !== 'a' && warm && subject.supervisorPid(spec.tenantId) === warm.process.child.pid)
          claimed++;
        await subject.stop(handle, { graceMs: 10_000 });
        // Run 0 warms every arm (tsx cache, page cache) and gives the pools their template.
        if (run > 0) times[name].push(elapsed);
      }
      await new Promise((resolve) => setTimeout(resolve, REFILL_MS)); // every pool refills in the same pause
    }
  } finally {
    await Promise.all(Object.values(subjects).map((subject) => subject.close()));
    await s3.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  loads.push(loadavg()[0]!);
  const model = await egressModelCalls(MODEL_CALLS);
  loads.push(loadavg()[0]!);
  const [a, b, b1, b0] = [median(times.a), median(times.b), median(times.b1), median(times.b0)];
  const load = `load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on ${cpus().length} CPUs`;
  console.log(`bench:sandbox, ${RUNS} alternating runs each, ${load}`);
  console.log(`  (a)  launch to ready, unsandboxed, warm process:  median ${ms(a)} (${range(times.a)})`);
  console.log(`  (b)  launch to ready, sandboxed, pre-built:       median ${ms(b)} (${range(times.b)})`);
  console.log(`  (b1) the same, without the tier's CPU quota:     median ${ms(b1)} (${range(times.b1)})`);
  console.log(`       (${claimed} of ${2 * RUNS} (b) and (b1) launches claimed a pre-built sandbox)`);
  console.log(`  (b0) launch to ready, sandboxed, built at launch: median ${ms(b0)} (${range(times.b0)})`);
  console.log(
    `  b − a = ${ms(b - a)} (target ≤ 100 ms), b/a = ${(b / a).toFixed(2)}; b0 − a = ${ms(b0 - a)}`,
  );
  const [direct, egress] = [median(model.direct), median(model.egress)];
  const fine = (value: number) => `${value.toFixed(2)} ms`;
  const fineRange = (v: number[]) => `IQR ${fine(quantile(v, 0.25))}–${fine(quantile(v, 0.75))}`;
  console.log(
    `  (m)  streamed model call, direct:        median ${fine(direct)} (${fineRange(model.direct)})`,
  );
  console.log(
    `  (m)  the same through the egress path:   median ${fine(egress)} (${fineRange(model.egress)})`,
  );
  console.log(`       egress − direct = ${fine(egress - direct)} per model call (${MODEL_CALLS} each)`);
  await writeFile(
    join(import.meta.dirname, 'results', 'sandbox.json'),
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        runs: RUNS,
        loadAverage: { min: Math.min(...loads), max: Math.max(...loads) },
        launchMs: {
          unsandboxedWarm: summary(times.a),
          sandboxedPrebuilt: summary(times.b),
          sandboxedPrebuiltNoQuota: summary(times.b1),
          sandboxedCold: summary(times.b0),
        },
        claimedPrebuilt: claimed,
        addedMs: Math.round(b - a),
        modelCallMs: { direct: fineSummary(model.direct), egress: fineSummary(model.egress) },
        egressAddedMs: Number((egress - direct).toFixed(2)),
      },
      null,
      2,
    )}\n`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
