/**
 * What `npm run bench:memory` (memory.ts) reports of its runs: per variant,
 * the median and interquartile range of every figure (RSS, PSS, V8 heaps,
 * threads, per process and per isolate), before and after the retire signal
 * and the next turn.
 */
import { totals, type HeapReport, type ProcessMemory } from './memory-probe.js';
import type { Run, Snapshot } from './memory-run.js';
import { summary } from './stats.js';

const MiB = 1024 * 1024;
export const heapMb = (heaps: readonly HeapReport[], pick: (h: HeapReport) => number) =>
  Math.round(heaps.reduce((sum, h) => sum + pick(h), 0) / MiB);
export const threadsOf = (s: Snapshot) => s.processes.reduce((sum, p) => sum + p.threads, 0);

/** Load averages, summarized to two decimals. */
export const loadSummary = (loads: number[]) => {
  const { median, q1, q3 } = summary(loads.map((l) => l * 100));
  return { median: median / 100, q1: q1 / 100, q3: q3 / 100 };
};

/** Median and interquartile range of every figure of one variant's runs. */
export function figures(runs: readonly Run[]) {
  const per = (pick: (r: Run) => number) => summary(runs.map(pick));
  const byName = (name: string, pick: (p: ProcessMemory) => number) => (r: Run) =>
    r.processes.filter((p) => p.name === name).reduce((sum, p) => sum + pick(p), 0);
  /** RSS, PSS, isolates and threads of one snapshot taken in each run. */
  const snapshotFigures = (of: (r: Run) => Snapshot) => ({
    rssMb: per((r) => totals(of(r).processes).rssMb),
    pssMb: per((r) => totals(of(r).processes).pssMb),
    isolateCount: per((r) => of(r).heaps.length),
    threads: per((r) => threadsOf(of(r))),
  });
  const names = [...new Set(runs.flatMap((r) => r.processes.map((p) => p.name)))];
  return {
    rssMb: per((r) => totals(r.processes).rssMb),
    pssMb: per((r) => totals(r.processes).pssMb),
    pssAnonMb: per((r) => totals(r.processes).pssAnonMb),
    pssFileMb: per((r) => totals(r.processes).pssFileMb),
    v8HeapTotalMb: per((r) => heapMb(r.heaps, (h) => h.heapTotal)),
    v8HeapUsedMb: per((r) => heapMb(r.heaps, (h) => h.heapUsed)),
    externalMb: per((r) => heapMb(r.heaps, (h) => h.external)),
    codeSpaceMb: per((r) => heapMb(r.heaps, (h) => h.spaces.find((s) => s.name === 'code_space')?.size ?? 0)),
    newSpaceMb: per((r) => heapMb(r.heaps, (h) => h.spaces.find((s) => s.name === 'new_space')?.size ?? 0)),
    isolateCount: per((r) => r.heaps.length),
    threads: per(threadsOf),
    readyMs: per((r) => r.readyMs),
    // Before the retire signal (equal to the figures above for variants that do not retire).
    settled: snapshotFigures((r) => r.settled),
    // What the retire signal freed, paired within each run (0 for variants that do not retire).
    freedRssMb: per((r) => totals(r.settled.processes).rssMb - totals(r.processes).rssMb),
    freedPssMb: per((r) => totals(r.settled.processes).pssMb - totals(r.processes).pssMb),
    nextTurnMs: per((r) => r.nextTurnMs),
    afterNextTurn: snapshotFigures((r) => r.afterNextTurn),
    processes: names.map((name) => ({
      name,
      rssMb: per(byName(name, (p) => p.rssMb)).median,
      pssMb: per(byName(name, (p) => p.pssMb)).median,
      pssAnonMb: per(byName(name, (p) => p.pssAnonMb)).median,
      threads: per(byName(name, (p) => p.threads)).median,
    })),
    isolates: runs.at(-1)!.heaps.map((h) => ({
      script: `${h.script.split('/').slice(-2).join('/')}#${h.threadId}`,
      heapTotalMb: Math.round(h.heapTotal / MiB),
      heapUsedMb: Math.round(h.heapUsed / MiB),
      externalMb: Math.round(h.external / MiB),
    })),
  };
}
