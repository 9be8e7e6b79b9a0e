/** The chaos run's summary as printed and written to bench/results/chaos.json. */
import { TENANT_KINDS, type KillKind } from './kills.js';
import { median } from './recovery-times.js';
import type { Verdict } from './verdict.js';

export function summary(verdict: Verdict) {
  const gaps = Object.values(verdict.historyGaps).flat().length;
  const orphans = verdict.orphans?.length ?? 0;
  const turnMs = verdict.baseline.turnMs;
  /** What a kill cost beyond the run's ordinary turn (answered − baseline). */
  const overBaseline = (answeredMs: number | undefined) =>
    answeredMs === undefined || turnMs === null ? undefined : answeredMs - turnMs;
  const coldWakeMs = verdict.coldWake.medianReachedModelMs;
  /** A tenant kill's reached-the-model time less one cold wake of this run: what must stay within 5 s. */
  const overColdWake = (kind: string, reachedModelMs: number | undefined) =>
    !TENANT_KINDS.includes(kind as KillKind) || reachedModelMs === undefined || coldWakeMs === null
      ? undefined
      : reachedModelMs - coldWakeMs;
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
          {
            count: k.count,
            backMs: k.backMs,
            reachedModelMs: k.reachedModelMs,
            answeredMs: k.answeredMs,
            medianReachedModelMs: median(k.reachedModelMs),
            medianAnsweredMs: median(k.answeredMs),
            medianAnsweredOverBaselineMs: median(
              k.answeredMs.map(overBaseline).filter((ms): ms is number => ms !== undefined),
            ),
            ...(TENANT_KINDS.includes(kind as KillKind) && {
              medianReachedModelOverColdWakeMs: median(
                k.reachedModelMs
                  .map((ms) => overColdWake(kind, ms))
                  .filter((ms): ms is number => ms !== undefined),
              ),
            }),
          },
        ]),
      ),
    },
    /** Sent → answered and sent → reached the model of the run's kill-free chat requests (medians). */
    baseline: verdict.baseline,
    /** Each tenant's first message (one cold wake alone); tenant kills are read against its median. */
    coldWake: verdict.coldWake,
    killLog: verdict.killLog.map((k) => ({
      kind: k.kind,
      tenantId: k.tenantId,
      atMs: k.atMs,
      backMs: k.backMs,
      reachedModelMs: k.reachedModelMs,
      answeredMs: k.answeredMs,
      answeredOverBaselineMs: overBaseline(k.answeredMs),
      reachedModelOverColdWakeMs: overColdWake(k.kind, k.reachedModelMs),
      probeTrail: k.probeTrail,
      skipped: k.skipped,
    })),
    problems: verdict.problems,
  };
}
