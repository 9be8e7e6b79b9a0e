/**
 * Tenant quotas: the built-in defaults per tier, the operator's overrides of
 * them (`CLAWFLEET_TIER_QUOTAS`), and a tenant's own `quotas` on top. Pure, so
 * the gateway, the router and the workflow's activities read the same rules.
 * Every quota is a hard cap; `0` means nothing is allowed, an absent one
 * falls back to the tier, and `Infinity` (no default) means unlimited.
 */
import { ConfigError } from './errors.js';

export const QUOTA_KINDS = [
  'tokensPerMinute',
  'tokensPerDay',
  'tokensPerMonth',
  'concurrentModelRequests',
  'messagesPerDay',
  'activeSecondsPerDay',
] as const;
export type QuotaKind = (typeof QUOTA_KINDS)[number];
export type Quotas = Readonly<Record<QuotaKind, number>>;
export type QuotaOverrides = Partial<Record<QuotaKind, number>>;
export type Tier = 'free' | 'standard' | 'pro';

/** A small daily cap on `free` (a hobby tenant's day of chatting), roomier paid tiers. */
export const BUILT_IN_TIER_QUOTAS: Readonly<Record<Tier, Quotas>> = {
  free: {
    tokensPerMinute: 20_000,
    tokensPerDay: 100_000,
    tokensPerMonth: 1_000_000,
    concurrentModelRequests: 2,
    messagesPerDay: 200,
    activeSecondsPerDay: 4 * 3_600,
  },
  standard: {
    tokensPerMinute: 200_000,
    tokensPerDay: 2_000_000,
    tokensPerMonth: 30_000_000,
    concurrentModelRequests: 8,
    messagesPerDay: 5_000,
    activeSecondsPerDay: 86_400,
  },
  pro: {
    tokensPerMinute: 1_000_000,
    tokensPerDay: 20_000_000,
    tokensPerMonth: 300_000_000,
    concurrentModelRequests: 32,
    messagesPerDay: 50_000,
    activeSecondsPerDay: 86_400,
  },
};

/** What the agent and the operator are told a quota is about. */
export const QUOTA_LABELS: Readonly<Record<QuotaKind, string>> = {
  tokensPerMinute: 'tokens per minute',
  tokensPerDay: 'tokens per day',
  tokensPerMonth: 'tokens per month',
  concurrentModelRequests: 'concurrent model requests',
  messagesPerDay: 'messages per day',
  activeSecondsPerDay: 'active seconds per day',
};

/** Parses `CLAWFLEET_TIER_QUOTAS` (inline JSON) over the built-in defaults. */
export function parseTierQuotas(raw: string): Readonly<Record<Tier, Quotas>> {
  if (raw.trim() === '') return BUILT_IN_TIER_QUOTAS;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(['CLAWFLEET_TIER_QUOTAS is not JSON']);
  }
  const result = { ...BUILT_IN_TIER_QUOTAS };
  const problems: string[] = [];
  for (const [tier, overrides] of Object.entries(parsed as Record<string, unknown>)) {
    if (!(tier in BUILT_IN_TIER_QUOTAS)) {
      problems.push(`CLAWFLEET_TIER_QUOTAS: unknown tier ${tier}`);
      continue;
    }
    const checked = checkOverrides(overrides, `CLAWFLEET_TIER_QUOTAS.${tier}`, problems);
    result[tier as Tier] = { ...BUILT_IN_TIER_QUOTAS[tier as Tier], ...checked };
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return result;
}

function checkOverrides(value: unknown, where: string, problems: string[]): QuotaOverrides {
  const out: QuotaOverrides = {};
  if (typeof value !== 'object' || value === null) {
    problems.push(`${where} must be an object`);
    return out;
  }
  for (const [kind, n] of Object.entries(value)) {
    if (!(QUOTA_KINDS as readonly string[]).includes(kind)) problems.push(`${where}: unknown quota ${kind}`);
    else if (!Number.isSafeInteger(n) || (n as number) < 0)
      problems.push(`${where}.${kind} must be a non-negative integer`);
    else out[kind as QuotaKind] = n as number;
  }
  return out;
}

/** The quotas that hold for a tenant: its own over its tier's. */
export function effectiveQuotas(
  tiers: Readonly<Record<Tier, Quotas>>,
  tier: Tier,
  own: QuotaOverrides | undefined,
): Quotas {
  const result: Record<QuotaKind, number> = { ...tiers[tier] };
  for (const kind of QUOTA_KINDS) {
    const value = own?.[kind];
    if (typeof value === 'number') result[kind] = value;
  }
  return result;
}

/** UTC day `YYYY-MM-DD`, month `YYYY-MM` and minute `YYYY-MM-DDTHH:MM` of `ms`: the quota windows. */
export function quotaWindows(ms: number): { day: string; month: string; minute: string } {
  const iso = new Date(ms).toISOString();
  return { day: iso.slice(0, 10), month: iso.slice(0, 7), minute: iso.slice(0, 16) };
}
