/**
 * `npm run bench:wake-paused`: (e) of bench:wake alone, on one fleet, for
 * work on the resume path without the minutes of cold rounds. The baseline in
 * the same run is (c), the hot path of the same tenant while it runs. Prints
 * median, interquartile range and p99 of the resume, where its time went
 * (median of each step of the workflow's history, resume-trace.ts) and the
 * load average, and merges the paused fields into bench/results/wake.json
 * (the cold-wake fields there come from the last full bench:wake).
 * Targets: ≤ 100 ms median, ≤ 250 ms p99.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { startFleet } from '../test/local/fleet.js';
import { startFleetRouter } from '../test/local/fleet-router.js';
import { keepResumeLog, type ResumeStep } from './resume-trace.js';
import { quantile, summary } from './stats.js';
import { HOLD_MS, pausedResumes } from './wake-paused.js';

const RUNS = Number(process.env['BENCH_PAUSED_RUNS'] ?? 30);
const HOT_RUNS = 20;
const RESULTS = new URL('./results/wake.json', import.meta.url);

async function main(): Promise<void> {
  const resumeLog = keepResumeLog(); // before the fleet's worker: one Temporal runtime per process
  const loads: number[] = [loadavg()[0]!];
  const sampler = setInterval(() => loads.push(loadavg()[0]!), 5_000);
  const fleet = await startFleet({
    capacity: 1,
    logLevel: 'info',
    settings: { runtime: { deepSleepAfter: '1h' } },
  });
  const router = await startFleetRouter(fleet);
  try {
    const paused = await pausedResumes(fleet, router, RUNS, { hotRuns: HOT_RUNS, resumeLog });
    clearInterval(sampler);
    // The target's figure: webhook to the durable ack in the workflow's history. Also shown: until the bench saw it.
    const resume = summary(paused.ackInHistoryMs);
    const p99 = Math.round(quantile(paused.ackInHistoryMs, 0.99));
    const seen = summary(paused.resumeMs);
    const seenP99 = Math.round(quantile(paused.resumeMs, 0.99));
    const hot = summary(paused.hotPathMs);
    const atPod = summary(paused.ackAtPodMs);
    const atPodP99 = Math.round(quantile(paused.ackAtPodMs, 0.99));
    const load = summary(loads.map((l) => l * 100));
    const loadText = `${(load.median / 100).toFixed(1)} (IQR ${(load.q1 / 100).toFixed(1)}–${(load.q3 / 100).toFixed(1)})`;
    console.log(
      `(e) paused resume, webhook to durable ack (its workflow task completed in history): median ${resume.median} ms (IQR ${resume.q1}–${resume.q3}), p99 ${p99} ms, max ${Math.round(Math.max(...paused.ackInHistoryMs))} ms over ${paused.ackInHistoryMs.length} of ${RUNS} (targets ≤ 100, ≤ 250 ms)`,
    );
    console.log(
      `    until the bench's query saw it: median ${seen.median} ms (IQR ${seen.q1}–${seen.q3}), p99 ${seenP99} ms`,
    );
    console.log(
      `(c) hot path, same tenant, same run: median ${hot.median} ms (IQR ${hot.q1}–${hot.q3}) over ${HOT_RUNS}`,
    );
    console.log(
      `    of which webhook to OpenClaw's durable ack at the pod (supervisor log): median ${atPod.median} ms (IQR ${atPod.q1}–${atPod.q3}), p99 ${atPodP99} ms over ${paused.ackAtPodMs.length}`,
    );
    console.log(
      `(e)/(c) = ${(resume.median / hot.median).toFixed(2)}; paused CPU ${paused.pausedCpuPercent} %`,
    );
    console.log(`load average (1 min) during the run: median ${loadText}`);
    console.log('where a resume goes (median ms per step, from the workflow history):');
    for (const [step, ms] of stepMedians(paused.traces)) console.log(`  ${String(ms).padStart(5)}  ${step}`);
    const previous = JSON.parse(await readFile(RESULTS, 'utf8').catch(() => '{}')) as Record<string, unknown>;
    const merged = {
      ...previous,
      pausedResumeMs: summary(paused.ackInHistoryMs.map((ms) => Math.round(ms))),
      pausedResumeMedianMs: resume.median,
      pausedResumeP99Ms: p99,
      pausedResumeSeenByBenchMs: { ...summary(paused.resumeMs.map((ms) => Math.round(ms))), p99: seenP99 },
      pausedResumeRuns: RUNS,
      pausedResumeHotPathMs: hot,
      pausedResumeOverHotPath: Number((resume.median / hot.median).toFixed(2)),
      pausedResumeAckAtPodMs: { ...atPod, p99: atPodP99, runs: paused.ackAtPodMs.length },
      pausedResumeLoadAverage1m: { median: load.median / 100, q1: load.q1 / 100, q3: load.q3 / 100 },
      pausedCpuPercent: paused.pausedCpuPercent,
      pausedResumeNote: `bench:wake-paused, ${new Date().toISOString().slice(0, 16)}Z: ${RUNS} resumes, each after ${HOLD_MS / 1000} s paused, load ${loadText}; (c) of the same run in pausedResumeHotPathMs`,
    };
    await writeFile(RESULTS, `${JSON.stringify(merged, null, 2)}\n`);
  } finally {
    clearInterval(sampler);
    await router.close();
    await fleet.stop();
  }
}

/** The median of each step, keyed by its event and the how-manieth time it occurs in its resume. */
function stepMedians(traces: readonly ResumeStep[][]): [string, number][] {
  const byStep = new Map<string, number[]>();
  for (const steps of traces) {
    const seen = new Map<string, number>();
    for (const { event, ms } of steps) {
      const n = (seen.get(event) ?? 0) + 1;
      seen.set(event, n);
      const key = n > 1 ? `${event} (${n})` : event;
      byStep.set(key, [...(byStep.get(key) ?? []), ms]);
    }
  }
  return [...byStep].map(([step, values]) => [
    `${step}${values.length < traces.length ? ` (in ${values.length} of ${traces.length})` : ''}`,
    Math.round(quantile(values, 0.5)),
  ]);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
