/** The chaos run's summary as printed and written to bench/results/chaos.json. */
import type { Verdict } from './verdict.js';

const median = (values: readonly number[]) => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

export function summary(verdict: Verdict) {
  const gaps = Object.values(verdict.historyGaps).flat().length;
  const orphans = verdict.orphans?.length ?? 0;
  return {
    ok:
      verdict.lost === 0 &&
      verdict.answeredTwice === 0 &&
      verdict.accepted === verdict.sent &&
      verdict.neverReachedModel === 0 &&
      gaps === 0 &&
      orphans === 0,
    seed: verdict.seed,
    sent: verdict.sent,
    accepted: verdict.accepted,
    answered: verdict.answered,
    answeredTwice: verdict.answeredTwice,
    lost: verdict.lost,
    neverReachedModel: verdict.neverReachedModel,
    modelRepeats: verdict.modelRepeats,
    historyGaps: verdict.historyGaps,
    orphans: verdict.orphans ?? [],
    kills: {
      total: verdict.kills.total,
      skipped: verdict.kills.skipped,
      recoveryByKind: Object.fromEntries(
        Object.entries(verdict.kills.byKind).map(([kind, k]) => [
          kind,
          { count: k.count, backMs: k.backMs, flowingMs: k.flowingMs, medianFlowingMs: median(k.flowingMs) },
        ]),
      ),
    },
    killLog: verdict.killLog.map(({ kind, tenantId, atMs, backMs, flowingMs, probeTrail, skipped }) => ({
      kind,
      tenantId,
      atMs,
      backMs,
      flowingMs,
      probeTrail,
      skipped,
    })),
    problems: verdict.problems,
  };
}
