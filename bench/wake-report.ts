/** bench:wake's summary: printed, and written to bench/results/wake.json. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../common/entry-points.js';
import { quantile, summary } from './stats.js';
import type { PausedResume } from './wake-paused.js';
import { phasesOf, WAKE_MARKS, type WakeTrace } from './wake-trace.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const median = (values: number[]) => summary(values).median;

export interface BareStart {
  /** Spawn to `/readyz` 200: all (a) has ever measured. */
  readonly readyz: number;
  /** Spawn to the Telegram webhook listener answering: what a wake must wait for before delivering. */
  readonly listener: number;
  /** CPU time of the gateway's process tree until `/readyz` (far steadier than wall time under load). */
  readonly cpuMs: number;
}

export interface AwakeCost {
  /** RSS summed over the tenant's supervisor and OpenClaw's processes. */
  readonly rssMb: number;
  readonly processes: { name: string; rssMb: number }[];
  /** CPU use of the whole tenant (one core = 100) while it runs idle after the hot path. */
  readonly idleCpuPercent: number;
  /** (c), median over the hot-path deliveries. */
  readonly hotPathMs: number;
}

export interface Measured {
  readonly runs: number;
  readonly hotRuns: number;
  readonly cold: number[];
  readonly traces: WakeTrace[];
  readonly bare: BareStart[];
  readonly untrimmed: BareStart[];
  readonly loads: number[];
  readonly awake: AwakeCost;
  /** The sandbox on vs off figures (wake-sandbox.ts), merged into wake.json. */
  readonly sandbox?: Record<string, unknown>;
  readonly paused: PausedResume;
}

const iqr = (values: number[]) => {
  const { median: m, q1, q3 } = summary(values);
  return `${seconds(m)} (IQR ${seconds(q1)}–${seconds(q3)})`;
};

export async function report({
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
}: Measured): Promise<void> {
  console.log(`\n(b) phases, median ms over ${traces.length} wakes (each ends at its mark):`);
  const phases = traces.map(phasesOf);
  for (const [mark, what] of WAKE_MARKS) {
    const values = phases.map((p) => p[mark]).filter((v): v is number => v !== undefined);
    if (values.length > 0)
      console.log(`  ${mark.padEnd(17)} ${String(Math.round(median(values))).padStart(6)}  ${what}`);
  }
  const a = median(bare.map((s) => s.readyz));
  const aListener = median(bare.map((s) => s.listener));
  const a0 = median(untrimmed.map((s) => s.readyz));
  const b = median(cold);
  const load = summary(loads.map((l) => l * 100));
  console.log(
    `\nmedians over ${RUNS} runs (1-min load average ${load.median / 100}, IQR ${load.q1 / 100}–${load.q3 / 100})`,
  );
  console.log(`(a) bare OpenClaw start to /readyz: ${iqr(bare.map((s) => s.readyz))}`);
  console.log(`(a') bare OpenClaw start to its Telegram listener: ${iqr(bare.map((s) => s.listener))}`);
  console.log(`(a0) untrimmed bare OpenClaw start to /readyz: ${iqr(untrimmed.map((s) => s.readyz))}`);
  const cpuA = median(bare.map((s) => s.cpuMs));
  const cpuA0 = median(untrimmed.map((s) => s.cpuMs));
  console.log(
    `CPU to /readyz: (a) ${iqr(bare.map((s) => s.cpuMs))}, (a0) ${iqr(untrimmed.map((s) => s.cpuMs))}`,
  );
  console.log(`(b) cold wake, webhook to durable ack: ${iqr(cold)}`);
  console.log(`b/a = ${(b / a).toFixed(3)} (target ≤ 1.10); b − a = ${seconds(b - a)} (target ≤ 1.5 s)`);
  console.log(`b/a0 = ${(b / a0).toFixed(3)} (target ≤ 0.45); a/a0 = ${(a / a0).toFixed(3)}`);
  console.log(
    `awake tenant after ${HOT_RUNS} turns: ${awake.rssMb} MB RSS: ${awake.processes.map((p) => `${p.name} ${p.rssMb}`).join(', ')}`,
  );
  console.log(`idle running tenant: ${awake.idleCpuPercent} % of one core (all its processes)`);
  console.log(`b/a' = ${(b / aListener).toFixed(3)}; b − a' = ${seconds(b - aListener)} (for information)`);
  const resume = summary(paused.resumeMs);
  const resumeP99 = quantile(paused.resumeMs, 0.99);
  console.log(
    `(e) paused resume, webhook until the bench's query saw the durable ack (bench:wake-paused also gives it to the ack in history): median ${resume.median.toFixed(1)} ms (IQR ${resume.q1.toFixed(1)}–${resume.q3.toFixed(1)}), p99 ${resumeP99.toFixed(1)} ms over ${paused.resumeMs.length} (targets ≤ 100 ms, ≤ 250 ms)`,
  );
  console.log(
    `(e)/(b) = ${(resume.median / b).toFixed(4)}; (e)/(c) = ${(resume.median / awake.hotPathMs).toFixed(2)} (against this run's cold wake and hot path)`,
  );
  console.log(`paused tenant: ${paused.pausedCpuPercent} % of one core (all ${paused.processes} processes)`);
  // (a) and (b) of the same round: the paired difference is less exposed to load that drifts between rounds.
  const paired = cold.map((ms, i) => ms - bare[i]!.readyz);
  console.log(`paired b − a per run: ${paired.map(seconds).join(', ')}; median ${seconds(median(paired))}`);
  const result = {
    runs: RUNS,
    loadAverage1m: { median: load.median / 100, q1: load.q1 / 100, q3: load.q3 / 100 },
    bareReadyMs: summary(bare.map((s) => s.readyz)),
    untrimmedBareReadyMs: summary(untrimmed.map((s) => s.readyz)),
    bareCpuMs: summary(bare.map((s) => s.cpuMs)),
    untrimmedBareCpuMs: summary(untrimmed.map((s) => s.cpuMs)),
    bareCpuRatio: Number((cpuA / cpuA0).toFixed(3)),
    coldWakeMs: summary(cold),
    coldWakeMedianMs: Math.round(b),
    coldWakeRatio: Number((b / a0).toFixed(3)),
    coldWakeOverTrimmedBare: Number((b / a).toFixed(3)),
    pausedResumeMs: summary(paused.resumeMs.map((ms) => Math.round(ms))),
    pausedResumeMedianMs: Math.round(resume.median),
    pausedResumeP99Ms: Math.round(resumeP99),
    pausedResumeRuns: paused.resumeMs.length,
    pausedResumeOverHotPath: Number((resume.median / awake.hotPathMs).toFixed(2)),
    pausedCpuPercent: paused.pausedCpuPercent,
    awakeRssMb: awake.rssMb,
    awakeProcesses: awake.processes,
    idleRunningCpuPercent: awake.idleCpuPercent,
    awakeTurns: HOT_RUNS,
    // Sampled for 20 s starting 5 s after the hot path's last update: trailing turns may still run.
    hotPathMedianMs: Number(awake.hotPathMs.toFixed(1)),
    ...sandbox,
  };
  await writeFile(
    join(PACKAGE_ROOT, 'bench', 'results', 'wake.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
}
