/**
 * The router's view of a tenant (status and credential hashes), read on
 * every request. Two layers: this process keeps a view for at most
 * `localTtlMs` (1 s), so the hot path does not pay a Redis round trip and a
 * JSON parse per message; behind it, Redis holds the view under
 * `tenantLookupKey(id)` for `ttlMs`, and the admin API's
 * `invalidateTenantLookup` deletes that entry when a tenant changes (and
 * fences off fills that read the registry before the change by bumping the
 * tenant's generation). Redis key tracking on the generations tells every
 * router replica of the bump, which drops its view: a change (suspension, a
 * revoked secret or key) takes effect within a round trip, and within
 * `localTtlMs` should that message be lost. Unknown tenants are cached
 * too (shorter in Redis), so a flood of webhooks for made-up ids cannot
 * hammer the registry. Redis down → read the registry directly: slower,
 * still correct, and counted.
 *
 * Registry down (a DynamoDB outage) → the tenant's last view this process
 * read, for at most `LAST_KNOWN_MAX_AGE_MS`, instead of a 503 for every
 * tenant whose cached view just expired. Only a view read while key tracking
 * was live is kept, and only until tracking is lost or the tenant's
 * generation moves: every change of a tenant (suspension, a revoked secret or
 * key) moves it, so a kept view is exactly as current as the in-process copy
 * above, only older. Unknown tenants are not kept: a stranger gets the 503.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../common/logger.js';
import { BUILT_IN_TIER_QUOTAS, effectiveQuotas, type Quotas, type Tier } from '../common/quotas.js';
import {
  fillTenantLookup,
  TENANT_LOOKUP_GENERATION_PREFIX,
  tenantLookupGenerationKey,
  tenantLookupKey,
} from '../endpoints/tenant-lookup-keys.js';
import type { CredentialPurpose, CredentialVerifier } from '../registry/credential-hash.js';
import type { TenantRecord, TenantStatus } from '../registry/tenant-record.js';
import type { KeyInvalidations } from './key-invalidations.js';
import type { RouterMetrics } from './metrics.js';
import { setBounded } from './bounded-map.js';
import { ShortLivedCache } from './short-lived-cache.js';
import { VerifiedCredentials } from './verified-credentials.js';
import { WarnOnce } from './warn-once.js';

/** The fields the router needs; hashes only, never credentials. */
export interface TenantView {
  readonly status: TenantStatus;
  readonly webhookSecretHashes: readonly string[];
  readonly apiKeyHashes: Readonly<Record<string, string>>;
  /** Settings for a tenant whose workflow the router starts (signal-/update-with-start). */
  readonly tier: TenantRecord['tier'];
  readonly openclawVersion: string;
  readonly idleTimeoutMs: number;
  /** The tenant's `messagesPerDay` quota (its own, else its tier's); absent in views cached before quotas. */
  readonly messagesPerDay?: number;
}

/** Where tenants really live (DynamoRegistry in production and tests). */
export interface TenantSource {
  get(tenantId: string): Promise<TenantRecord | null>;
}

export interface TenantDirectoryOptions {
  readonly redis: Redis;
  readonly source: TenantSource;
  /** Checks presented credentials against the view's hashes (the pepper from the router key file). */
  readonly verifier: CredentialVerifier;
  readonly metrics: RouterMetrics;
  readonly logger: Logger;
  /** @default 30_000 */
  readonly ttlMs?: number;
  /** How long this process serves a view without asking Redis: the staleness bound should an invalidation be missed. @default 1_000 */
  readonly localTtlMs?: number;
  /** Key tracking on `TENANT_LOOKUP_GENERATION_PREFIX`: an invalidation drops this process's view at once. */
  readonly tracking: KeyInvalidations;
  /** Tier defaults under a tenant's own quotas (common/quotas.ts). @default the built-in ones */
  readonly tierQuotas?: Readonly<Record<Tier, Quotas>>;
}

/** API keys look like `cfk-<keyId>.<secret>`; the key id picks the one hash to check. */
const API_KEY = /^cfk-([a-z0-9]{12})\.[A-Za-z0-9_-]{43}$/;
const MISSING = '{"missing":true}';
/** Longest a last known view serves while the registry cannot be read: an outage, not a way of life. */
export const LAST_KNOWN_MAX_AGE_MS = 60_000;
const MAX_LAST_KNOWN = 10_000;

export class TenantDirectory {
  private readonly ttlMs: number;
  private readonly missingTtlMs: number;
  private readonly warn: WarnOnce;
  private readonly local: ShortLivedCache<TenantView | null>;
  private readonly verified = new VerifiedCredentials();
  private readonly lastKnown = new Map<string, { readonly view: TenantView; readonly at: number }>();

  constructor(private readonly options: TenantDirectoryOptions) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.local = new ShortLivedCache({ ttlMs: Math.min(options.localTtlMs ?? 1_000, this.ttlMs) });
    this.missingTtlMs = Math.max(1, Math.min(5_000, this.ttlMs));
    this.warn = new WarnOnce(options.logger);
    options.tracking.onInvalidate((keys) => {
      if (keys === null) {
        this.local.clear();
        this.lastKnown.clear();
      } else
        for (const key of keys)
          if (key.startsWith(TENANT_LOOKUP_GENERATION_PREFIX)) {
            const tenantId = key.slice(TENANT_LOOKUP_GENERATION_PREFIX.length);
            this.local.delete(tenantId);
            this.lastKnown.delete(tenantId);
          }
    });
  }

  /** The tenant, or null when no such tenant exists. Callers validate the id first. */
  lookup(tenantId: string): Promise<TenantView | null> {
    return this.local.get(tenantId, async () => {
      const { tracking } = this.options;
      const epoch = tracking.epoch;
      const view = await this.lookupShared(tenantId);
      const stale = view !== null && view === this.lastKnown.get(tenantId)?.view; // its age must not restart
      // Kept only if no invalidation arrived while the read was out: it may concern this very answer.
      if (view !== null && !stale && tracking.live && tracking.epoch === epoch)
        setBounded(this.lastKnown, tenantId, { view, at: Date.now() }, MAX_LAST_KNOWN);
      return view;
    });
  }

  /** The view from Redis, or from the registry on a miss or with Redis down. */
  private async lookupShared(tenantId: string): Promise<TenantView | null> {
    let cached: string | null;
    let generation: string | null;
    try {
      // The generation comes in the same round trip: a fill after the registry read is fenced by it.
      const [view, gen] = await this.options.redis.mget(
        tenantLookupKey(tenantId),
        tenantLookupGenerationKey(tenantId),
      );
      [cached, generation] = [view ?? null, gen ?? null];
    } catch (error) {
      this.options.metrics.fallback('redis_unavailable');
      this.warn.warn('redis-lookup', error, 'tenant lookup cache unavailable; reading the registry');
      return this.fromSource(tenantId);
    }
    if (cached !== null) {
      const view = parseCached(cached);
      if (view !== undefined) return view;
    }
    let view: TenantView | null;
    try {
      view = await this.fromSource(tenantId);
    } catch (error) {
      return this.lastKnownOr(tenantId, error); // not written back: Redis holds only what the registry said
    }
    // Best effort and not awaited: a failed or fenced-off fill costs the next request a registry read, nothing more.
    const value = view ? JSON.stringify(view) : MISSING;
    fillTenantLookup(
      this.options.redis,
      tenantId,
      generation,
      value,
      view ? this.ttlMs : this.missingTtlMs,
    ).catch((error: unknown) => this.warn.warn('redis-fill', error, 'tenant lookup cache fill failed'));
    return view;
  }

  /** Constant-time check of `X-Telegram-Bot-Api-Secret-Token` against every stored hash. */
  webhookSecretMatches(tenantId: string, view: TenantView, presented: string | undefined): boolean {
    const secret = presented ?? '';
    return this.proven(view, 'webhook-secret', secret, () =>
      this.options.verifier.verify(tenantId, 'webhook-secret', view.webhookSecretHashes, secret),
    );
  }

  /** Constant-time check of a presented API key against the hash of its key id. */
  apiKeyMatches(tenantId: string, view: TenantView, presented: string | undefined): boolean {
    const key = presented ?? '';
    const keyId = API_KEY.exec(key)?.[1];
    const stored = keyId !== undefined ? view.apiKeyHashes[keyId] : undefined;
    // Verify even with no candidate hash, so a wrong key id costs about the same as a wrong secret.
    return this.proven(view, 'api-key', key, () =>
      this.options.verifier.verify(tenantId, 'api-key', stored ? [stored] : [], key),
    );
  }

  /** A credential proven against this very view object is not verified again (see verified-credentials.ts). */
  private proven(
    view: TenantView,
    purpose: CredentialPurpose,
    presented: string,
    verify: () => boolean,
  ): boolean {
    if (presented !== '' && this.verified.has(view, purpose, presented)) return true;
    const ok = verify();
    if (ok) this.verified.add(view, purpose, presented);
    return ok;
  }

  /** The registry failed: the tenant's last known view if it may still serve, else the failure. */
  private lastKnownOr(tenantId: string, error: unknown): TenantView {
    const kept = this.lastKnown.get(tenantId);
    if (!kept || !this.options.tracking.live || Date.now() - kept.at > LAST_KNOWN_MAX_AGE_MS) throw error;
    this.options.metrics.fallback('registry_unavailable');
    this.warn.warn('registry-last-known', error, 'tenant registry unavailable; serving last known views');
    return kept.view;
  }

  private async fromSource(tenantId: string): Promise<TenantView | null> {
    const record = await this.options.source.get(tenantId);
    if (!record) return null;
    return {
      status: record.status,
      webhookSecretHashes: record.webhookSecretHashes,
      apiKeyHashes: record.apiKeyHashes,
      tier: record.tier,
      openclawVersion: record.openclawVersion,
      idleTimeoutMs: record.idleTimeoutMs,
      messagesPerDay: effectiveQuotas(
        this.options.tierQuotas ?? BUILT_IN_TIER_QUOTAS,
        record.tier,
        record.quotas,
      ).messagesPerDay,
    };
  }
}

/** undefined = unreadable entry (treated as a miss); null = a cached "no such tenant". */
function parseCached(raw: string): TenantView | null | undefined {
  try {
    const value = JSON.parse(raw) as Partial<TenantView> & { missing?: boolean };
    if (value.missing === true) return null;
    if (
      typeof value.status === 'string' &&
      Array.isArray(value.webhookSecretHashes) &&
      typeof value.tier === 'string' &&
      typeof value.apiKeyHashes === 'object' &&
      value.apiKeyHashes !== null
    )
      return value as TenantView;
  } catch {
    // fall through: a corrupt entry is a miss
  }
  return undefined;
}
