/**
 * Usage activities: the active intervals the workflow reports, with the
 * router's message counts copied beside them so they outlive Redis, and
 * what is left of today's active-seconds quota before a wake.
 */
import { BUILT_IN_TIER_QUOTAS, effectiveQuotas } from '../common/quotas.js';
import { quotaHitLine } from '../workflows/shared.js';
import { guarded } from './activity-boundary.js';
import type { TenantRef } from './activity-inputs.js';
import type { ActivityDeps, UsageRecord } from './ports.js';

export interface ActiveAllowance {
  readonly limitSeconds: number;
  /** Active time already recorded today (before the current wake). */
  readonly usedMs: number;
}

/** UTC days from `from` to `to` inclusive (at most 8: the router's counts live 8 days). */
function utcDays(from: string, to: string): string[] {
  const days: string[] = [];
  const last = to.slice(0, 10);
  for (let t = Date.parse(from.slice(0, 10)); days.length < 8; t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    if (day > last) break;
    days.push(day);
  }
  return days;
}

export function createUsageActivities({ registry, endpoints, settings }: ActivityDeps) {
  return {
    /**
     * The active interval (replacing an earlier report of the same interval),
     * then the router's message counts of the interval's days, copied so they
     * outlive Redis (the day's count covers hot-path messages the workflow never saw).
     */
    async recordUsage(input: TenantRef & { usage: UsageRecord }): Promise<string | null> {
      return guarded(async () => {
        await registry.recordUsage(input.tenantId, input.usage);
        const days = utcDays(input.usage.from, input.usage.to);
        const counts = await endpoints.messageCounts(input.tenantId, days);
        for (const [day, messages] of Object.entries(counts))
          await registry.recordDayMessages(input.tenantId, day, messages);
        // Which quota refused the tenant today (gateway, router), for the workflow's current details.
        const [hit] = await registry.quotaHits(input.tenantId, days.at(-1)!);
        return hit
          ? quotaHitLine({ kind: hit.kind, limit: hit.limit, at: hit.lastAt, hits: hit.hits })
          : null;
      });
    },

    /**
     * What is left of today's `activeSecondsPerDay` before this wake (the
     * intervals recorded today); null when the tenant has no record.
     */
    async activeAllowance(input: TenantRef & { day: string }): Promise<ActiveAllowance | null> {
      return guarded(async () => {
        const own = await registry.quotaOf(input.tenantId);
        if (!own) return null;
        const { activeSecondsPerDay } = effectiveQuotas(
          settings.tierQuotas ?? BUILT_IN_TIER_QUOTAS,
          own.tier,
          own.quotas,
        );
        const usedMs = await registry.activeMsOn(input.tenantId, input.day);
        return { limitSeconds: activeSecondsPerDay, usedMs };
      });
    },
  };
}
