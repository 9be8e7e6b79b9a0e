/**
 * Token and concurrency quotas of the model gateway. Redis counters
 * (quota-counters.ts) decide on the hot path; the durable usage table is the
 * truth they are reconciled with: the first request of a tenant's day (or
 * month) in a window Redis does not count yet seeds the counter from the
 * usage table, so a Redis restart forgets nothing that was billed.
 *
 * Redis down, per quota (docs/operations.md "Quotas"):
 * - tokens per minute, concurrent requests: fail open (they pace load; an
 *   outage must not stop every agent);
 * - tokens per day and per month: checked against the durable usage instead
 *   (cached `durableTtlMs`); if that fails too, fail closed (hard caps).
 */
import type { Logger } from '../common/logger.js';
import { quotaWindows, type QuotaKind, type Quotas } from '../common/quotas.js';
import { WarnOnce } from '../router/warn-once.js';
import { ShortLivedCache } from '../router/short-lived-cache.js';
import { GatewayError, quotaError } from './errors.js';
import type { GatewayMetrics } from './metrics.js';
import { SEED_TTL_SECONDS, type QuotaCounters, type TokenAsk } from './quota-counters.js';

export interface DurableUsage {
  /** Tokens billed to the tenant on UTC days `fromDay`..`toDay`. */
  tokens(tenantId: string, fromDay: string, toDay: string): Promise<number>;
  /** Records which quota refused the tenant (throttled by the caller). */
  quotaHit(tenantId: string, hit: { kind: QuotaKind; at: string; limit: number }): Promise<void>;
}

export interface QuotaGuardDeps {
  readonly counters: QuotaCounters;
  readonly durable: DurableUsage;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  /** @default 10_000 */
  readonly durableTtlMs?: number;
}

export class QuotaGuard {
  private readonly warn: WarnOnce;
  private readonly seeded = new Set<string>();
  private readonly durableTokens: ShortLivedCache<number>;
  private readonly hitsLogged = new Map<string, number>();

  constructor(private readonly deps: QuotaGuardDeps) {
    this.warn = new WarnOnce(deps.logger);
    this.durableTokens = new ShortLivedCache({ ttlMs: deps.durableTtlMs ?? 10_000 });
  }

  /**
   * Admits a request (taking a concurrency slot and reserving its tokens) or
   * throws the quota's 429. Resolves to the output tokens it may produce: less
   * than asked when a day or month cap is near.
   */
  async admit(
    tenantId: string,
    quotas: Quotas,
    requestKey: string,
    nowMs: number,
    ask: TokenAsk,
  ): Promise<number> {
    let refused: { kind: QuotaKind; used: number } | null = null;
    let grant = ask.output;
    try {
      await this.seed(tenantId, nowMs);
      const admission = await this.deps.counters.admit(tenantId, quotas, requestKey, nowMs, ask);
      if (admission.ok) grant = admission.outputGrant;
      else refused = admission;
    } catch (error) {
      this.deps.metrics.redisFailures.inc();
      this.warn.warn(
        'redis',
        error,
        'quota counters unavailable: day and month caps checked against the usage table',
      );
      const durable = await this.durableCheck(tenantId, quotas, nowMs, ask);
      if ('kind' in durable) refused = durable;
      else grant = durable.outputGrant;
    }
    if (refused) throw this.refuse(tenantId, refused.kind, quotas[refused.kind], nowMs);
    return grant;
  }

  async release(tenantId: string, requestKey: string): Promise<void> {
    await this.deps.counters.release(tenantId, requestKey).catch(() => undefined); // the slot expires on its own
  }

  /** Counts a finished request's tokens once per request id. */
  async record(tenantId: string, requestId: string, tokens: number, startedAtMs: number): Promise<void> {
    try {
      await this.deps.counters.record(tenantId, requestId, tokens, startedAtMs);
    } catch (error) {
      this.deps.metrics.redisFailures.inc();
      this.warn.warn(
        'redis-record',
        error,
        'quota counters unavailable: tokens recorded in the usage table only',
      );
    }
  }

  private refuse(tenantId: string, kind: QuotaKind, limit: number, nowMs: number): GatewayError {
    this.deps.metrics.quotaRejections.inc({ kind });
    const key = `${tenantId}\0${kind}`;
    if (nowMs - (this.hitsLogged.get(key) ?? -Infinity) >= 5_000) {
      if (this.hitsLogged.size > 10_000) this.hitsLogged.clear();
      this.hitsLogged.set(key, nowMs);
      const at = new Date(nowMs).toISOString();
      this.deps.durable
        .quotaHit(tenantId, { kind, at, limit })
        .catch((error: unknown) => this.warn.warn('quota-hit', error, 'could not record a quota refusal'));
    }
    return quotaError(kind, limit, nowMs);
  }

  /** Once per tenant and window in this process: counters Redis lacks start from the durable usage. */
  private async seed(tenantId: string, nowMs: number): Promise<void> {
    const w = quotaWindows(nowMs);
    const marker = `${tenantId}\0${w.day}`;
    if (this.seeded.has(marker)) return;
    const { counters, durable } = this.deps;
    const missing = await counters.missingWindows(tenantId, nowMs);
    const keys = counters.keys(tenantId, nowMs);
    if (missing.day)
      await counters.seed(keys.day, await durable.tokens(tenantId, w.day, w.day), SEED_TTL_SECONDS.day);
    if (missing.month)
      await counters.seed(
        keys.month,
        await durable.tokens(tenantId, `${w.month}-01`, w.day),
        SEED_TTL_SECONDS.month,
      );
    if (this.seeded.size > 100_000) this.seeded.clear();
    this.seeded.add(marker);
  }

  /** Without Redis: the caps against the durable usage (requests in flight are not known here). */
  private async durableCheck(
    tenantId: string,
    quotas: Quotas,
    nowMs: number,
    ask: TokenAsk,
  ): Promise<{ kind: QuotaKind; used: number } | { outputGrant: number }> {
    const w = quotaWindows(nowMs);
    const read = (from: string) =>
      this.durableTokens.get(`${tenantId}\0${from}\0${w.day}`, () =>
        this.deps.durable.tokens(tenantId, from, w.day),
      );
    try {
      const day = await read(w.day);
      const dayLeft = quotas.tokensPerDay - day - ask.input;
      if (dayLeft < 1) return { kind: 'tokensPerDay', used: day };
      const month = await read(`${w.month}-01`);
      const monthLeft = quotas.tokensPerMonth - month - ask.input;
      if (monthLeft < 1) return { kind: 'tokensPerMonth', used: month };
      return { outputGrant: Math.max(1, Math.floor(Math.min(ask.output, dayLeft, monthLeft))) };
    } catch (error) {
      this.warn.warn('durable', error, 'usage table unavailable too: refusing model requests (hard caps)');
      throw new GatewayError('QUOTA_UNAVAILABLE', 'quota state unavailable; retry shortly', 5, {
        cause: error,
      });
    }
  }
}
