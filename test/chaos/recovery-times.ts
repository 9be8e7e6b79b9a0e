/**
 * What "messages flow again" means after a kill, measured two ways, and the
 * yardstick to read them against:
 *
 * - **reached the model**: kill → the fake model's first request whose last
 *   user text carries the probe's word. This is the recovery itself (the
 *   target: within 5 s of a shared component's kill), without the turn's own
 *   model call and answer, which depend on the machine's load;
 * - **answered**: kill → the probe's 200 with its answer (the whole turn);
 * - **baseline**: in the same run, the median kill-free chat request, sent →
 *   answered and sent → reached the model, so "answered" can be read as
 *   answered − baseline (what the kill cost beyond an ordinary turn).
 *
 * The fake model runs in the chaos process, so its `at` and the kill times
 * share one clock.
 */
import type { FakeLlm } from '../../fakes/fake-llm.js';
import { lastUserText } from '../../fakes/fake-llm.js';
import type { Delivery } from './traffic.js';

/** When the model was first asked about `word` (undefined: never). */
export function firstModelCall(llm: FakeLlm, word: string): number | undefined {
  return llm.completions().find((r) => lastUserText(r.body?.messages ?? []).includes(word))?.at;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** One kill as far as the baseline cares: while it lasts, no turn counts as ordinary. */
export interface KillWindow {
  readonly killedAt?: number;
  readonly backMs?: number;
  readonly answeredMs?: number;
}

export interface Baseline {
  /** Kill-free chat requests the medians come from. */
  readonly turns: number;
  /** Median sent → answered. */
  readonly turnMs: number | null;
  /** Median sent → the model's first request for it. */
  readonly reachModelMs: number | null;
}

/** A chat request is kill-free when it was answered at its first attempt and no kill's recovery overlapped it. */
export function baseline(
  llm: FakeLlm,
  deliveries: readonly Delivery[],
  kills: readonly KillWindow[],
): Baseline {
  const windows = kills
    .filter((k) => k.killedAt !== undefined)
    .map((k) => ({
      from: k.killedAt!,
      // Until both the process is back and the probe was answered; never answered: to the end of the run.
      to: k.killedAt! + Math.max(k.backMs ?? Infinity, k.answeredMs ?? Infinity),
    }));
  const ordinary = deliveries.filter(
    (d) =>
      d.channel === 'chat' &&
      !d.word.startsWith('zqprobe') &&
      d.answer !== undefined &&
      d.acceptedAt !== undefined &&
      d.attempts === 1 &&
      !windows.some((w) => w.from <= d.acceptedAt! && w.to >= d.sentAt),
  );
  const reached = ordinary
    .map((d) => (firstModelCall(llm, d.word) ?? NaN) - d.sentAt)
    .filter((ms) => Number.isFinite(ms));
  return {
    turns: ordinary.length,
    turnMs: median(ordinary.map((d) => d.acceptedAt! - d.sentAt)),
    reachModelMs: median(reached),
  };
}

/**
 * A tenant's first message, woken from its snapshot with nothing else booting:
 * what a tenant kill (supervisor, gateway) may add on top of the 5 s target,
 * measured in the same run, on the same load.
 */
export interface ColdWake {
  /** Sent → the model's first request for it. */
  readonly reachedModelMs?: number;
  /** Sent → answered. */
  readonly answeredMs?: number;
}

export function coldWakes(wakes: Readonly<Record<string, ColdWake | undefined>>) {
  const all = Object.values(wakes).filter((w): w is ColdWake => w !== undefined);
  const values = (pick: (w: ColdWake) => number | undefined) =>
    all.map(pick).filter((ms): ms is number => ms !== undefined);
  return {
    byTenant: wakes,
    medianReachedModelMs: median(values((w) => w.reachedModelMs)),
    medianAnsweredMs: median(values((w) => w.answeredMs)),
  };
}
