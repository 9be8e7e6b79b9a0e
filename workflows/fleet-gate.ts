/**
 * The fleet upgrade's decisions, as pure functions: where each wave ends, and
 * whether a measured wave passes its health gate. No Temporal calls here.
 */
import {
  DEFAULT_HEALTH_GATE,
  type FleetUpgradeInput,
  type HealthGate,
  type WaveHealth,
} from './fleet-contract.js';
import { OPENCLAW_VERSION_PATTERN } from './shared.js';
import { TENANT_TIERS } from './types.js';

export type Verdict =
  | { readonly pass: true; readonly notes: readonly string[] }
  | { readonly pass: false; readonly rollback: boolean; readonly notes: readonly string[] };

/** Problems with a rollout request (empty when it can start). */
export function checkUpgradeInput(input: FleetUpgradeInput): string[] {
  const problems: string[] = [];
  if (!OPENCLAW_VERSION_PATTERN.test(String(input.targetVersion)))
    problems.push(
      `targetVersion ${JSON.stringify(input.targetVersion)} is not a release version like 2026.1.29`,
    );
  const s = input.selector as Record<string, unknown> | undefined;
  const kinds = s ? ['tier', 'tenantIds', 'all'].filter((k) => k in s) : [];
  if (kinds.length !== 1) problems.push('selector needs exactly one of tier, tenantIds, all');
  else if ('tier' in s! && !TENANT_TIERS.includes(s.tier as never))
    problems.push(`unknown tier ${String(s.tier)}`);
  else if ('tenantIds' in s! && (!Array.isArray(s.tenantIds) || s.tenantIds.length === 0))
    problems.push('selector.tenantIds must list at least one tenant');
  else if ('all' in s! && s.all !== true) problems.push('selector.all must be true');
  const waves = input.waves ?? [100];
  const increasing = waves.every((w, i) => w > 0 && w <= 100 && (i === 0 || w > waves[i - 1]!));
  if (waves.length === 0 || !increasing || waves.at(-1) !== 100)
    problems.push('waves must be increasing percentages in (0, 100] ending at 100');
  const gate = input.gate ?? {};
  for (const [key, value] of Object.entries(gate)) {
    const numeric = typeof (DEFAULT_HEALTH_GATE as unknown as Record<string, unknown>)[key] === 'number';
    if (!(key in DEFAULT_HEALTH_GATE)) problems.push(`unknown gate setting ${key}`);
    else if (numeric && !(typeof value === 'number' && value >= 0 && Number.isFinite(value)))
      problems.push(`gate.${key} must be a number ≥ 0`);
  }
  return problems;
}

export function resolveGate(gate: Partial<HealthGate> = {}): HealthGate {
  return { ...DEFAULT_HEALTH_GATE, ...gate };
}

/** End index (exclusive) of each wave over `total` tenants; a wave is never empty unless `total` is 0. */
export function waveEnds(total: number, waves: readonly number[]): number[] {
  const ends: number[] = [];
  for (const percent of waves) {
    const previous = ends.at(-1) ?? 0;
    const end = Math.min(total, Math.max(previous + 1, Math.ceil((total * percent) / 100)));
    if (end > previous) ends.push(end);
  }
  return ends;
}

const rate = (errors: number, delivered: number) =>
  errors + delivered === 0 ? 0 : errors / (errors + delivered);

/**
 * Failures roll the wave back. Too few wakes to judge is no failure: the
 * rollout holds (paused) until an operator resumes it to measure again.
 */
export function judgeWave(health: WaveHealth, gate: HealthGate): Verdict {
  const failed: string[] = [];
  if (health.failedWakes > gate.maxFailedWakes)
    failed.push(`${health.failedWakes} failed wakes on the new version (at most ${gate.maxFailedWakes})`);
  if (health.crashLoops > gate.maxCrashLoops)
    failed.push(`${health.crashLoops} crash loops (at most ${gate.maxCrashLoops})`);
  if (gate.firstDeliveryAcked && health.firstDeliveriesDropped > 0)
    failed.push(`${health.firstDeliveriesDropped} first deliveries after a wake not acknowledged`);
  const now = rate(health.deliveryErrors, health.delivered);
  const before = rate(health.baselineDeliveryErrors, health.baselineDelivered);
  const share = (r: number) => `${(r * 100).toFixed(1)} %`;
  if (now - before > gate.maxErrorRateIncrease)
    failed.push(
      `delivery error rate ${share(now)} vs ${share(before)} on the previous version (at most +${share(gate.maxErrorRateIncrease)})`,
    );
  if (failed.length > 0) return { pass: false, rollback: true, notes: failed };
  if (health.woke < gate.minWakes)
    return {
      pass: false,
      rollback: false,
      notes: [
        `only ${health.woke} of ${health.tenants} tenants woke on the new version (need ${gate.minWakes})`,
      ],
    };
  return {
    pass: true,
    notes: [
      `${health.woke} woke, ${health.delivered} deliveries, error rate ${share(now)} (was ${share(before)})`,
    ],
  };
}
