/**
 * `npm run bench:fleet`: clawfleet at fleet scale on this machine, with
 * stand-in agents (bench/fleet-run.ts). Defaults are the compass figures:
 * 10,000 tenants registered through the admin API, then 500 wakes per minute
 * for 10 minutes with hot-path traffic to the awake tenants. Smaller runs:
 *
 *   BENCH_FLEET_TENANTS=2000 BENCH_FLEET_WAKES_PER_MINUTE=300 BENCH_FLEET_MINUTES=3 npm run bench:fleet
 *
 * Prints the summary and writes it to bench/results/fleet.json.
 * Targets: 500 wakes/min held, wake-to-ack p99 ≤ 2 s of clawfleet overhead, no lost delivery.
 */
import { writeFile } from 'node:fs/promises';
import { runFleetBench, WORKER_TUNING } from './fleet-run.js';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

const options = {
  tenants: num('BENCH_FLEET_TENANTS', 10_000),
  wakesPerMinute: num('BENCH_FLEET_WAKES_PER_MINUTE', 500),
  minutes: num('BENCH_FLEET_MINUTES', 10),
  hotPerSecond: num('BENCH_FLEET_HOT_PER_SECOND', 5),
  onboardingConcurrency: num('BENCH_FLEET_ONBOARDING_CONCURRENCY', 8),
  // e.g. BENCH_FLEET_WORKER_MAXCACHEDWORKFLOWS=5000: worker options on top of the production ones.
  worker: Object.fromEntries(
    WORKER_TUNING.filter((k) => process.env[`BENCH_FLEET_WORKER_${k.toUpperCase()}`]).map((k) => [
      k,
      num(`BENCH_FLEET_WORKER_${k.toUpperCase()}`, 0),
    ]),
  ),
};
console.log(`bench:fleet ${JSON.stringify(options)}`);
const result = await runFleetBench({ ...options, log: (line) => console.log(line) });
// The baseline from the same run: an update to an awake tenant (router hot path straight to the stand-in).
const coldVsHotP50 = Math.round((result.wakeOverheadP50Ms / result.hot.p50) * 10) / 10;
const summary = { ...result, coldVsHotP50, measuredAt: new Date().toISOString(), options };
console.log(JSON.stringify(summary, null, 2));
const verdicts = [
  `wakes/min ${result.wakesPerMinute} of ${options.wakesPerMinute} target`,
  `wake-to-ack p50 ${result.wakeOverheadP50Ms} ms, p99 ${result.wakeOverheadP99Ms} ms (target ≤ 2000); hot path p50 ${result.hot.p50} ms, p99 ${result.hot.p99} ms: cold/hot p50 ${coldVsHotP50}`,
  `lost ${result.lost} (target 0)`,
];
console.log(verdicts.join('\n'));
await writeFile(new URL('./results/fleet.json', import.meta.url), `${JSON.stringify(summary, null, 2)}\n`);
process.exit(0);
