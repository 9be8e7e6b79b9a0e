/**
 * Who is calling and with which key: the model token is checked against the
 * tenant's `model-token` secret, the tenant's record gives its tier, status
 * and quotas, and the provider key is the tenant's own `model-<upstream>`
 * secret (bring your own key) or the platform's key file. Records are cached
 * for `recordTtlMs` (1 s: a raised budget or a suspension takes effect within
 * a second); verified tokens and keys for `secretTtlMs` (a rotated token stops
 * working within it). Secret values live only in this process's memory.
 * A registry read that fails is answered by the last one that did, for up to
 * `LAST_KNOWN_MAX_AGE_MS` (last-known.ts): a DynamoDB restart does not fail
 * every model call of every tenant.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseModelBearer } from '../common/model-token.js';
import { effectiveQuotas, type Quotas, type Tier } from '../common/quotas.js';
import { ShortLivedCache } from '../router/short-lived-cache.js';
import type { TenantRecord, TenantStatus } from '../registry/tenant-record.js';
import { GatewayError } from './errors.js';
import { LastKnown } from './last-known.js';

export interface TenantAccessSources {
  getTenant(tenantId: string): Promise<TenantRecord | null>;
  /** A tenant secret, or null when unset. */
  secret(tenantId: string, name: string): Promise<string | null>;
  /** The platform key file of an upstream (absent file: null). */
  platformKeyPath(upstream: string): string;
  tierQuotas: Readonly<Record<Tier, Quotas>>;
}

export interface CallingTenant {
  readonly tenantId: string;
  readonly tier: Tier;
  readonly status: TenantStatus;
  readonly quotas: Quotas;
}

export interface ProviderKey {
  readonly key: string;
  readonly source: 'platform' | 'byok';
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** How long a registry read stands in for failing ones: a restart's length, many times over. */
export const LAST_KNOWN_MAX_AGE_MS = 30_000;

export class TenantAccess {
  private readonly records: ShortLivedCache<TenantRecord | null>;
  private readonly tokens: ShortLivedCache<Buffer | null>;
  private readonly keys: ShortLivedCache<string | null>;
  private readonly platformKeys: ShortLivedCache<string | null>;
  private readonly lastRecords = new LastKnown<TenantRecord | null>(LAST_KNOWN_MAX_AGE_MS);
  /** Token digests, never tokens; provider keys as they must be presented upstream. */
  private readonly lastTokens = new LastKnown<Buffer | null>(LAST_KNOWN_MAX_AGE_MS);
  private readonly lastKeys = new LastKnown<string | null>(LAST_KNOWN_MAX_AGE_MS);

  constructor(
    private readonly sources: TenantAccessSources,
    options: { recordTtlMs?: number; secretTtlMs?: number } = {},
  ) {
    this.records = new ShortLivedCache({ ttlMs: options.recordTtlMs ?? 1_000 });
    this.tokens = new ShortLivedCache({ ttlMs: options.secretTtlMs ?? 5_000 });
    this.keys = new ShortLivedCache({ ttlMs: options.secretTtlMs ?? 5_000 });
    this.platformKeys = new ShortLivedCache({ ttlMs: options.secretTtlMs ?? 5_000 });
  }

  /** The tenant a bearer belongs to; 401 for anything but a current model token of an active tenant. */
  async authenticate(authorization: string | undefined): Promise<CallingTenant> {
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    const parsed = bearer ? parseModelBearer(bearer) : null;
    if (!parsed) throw new GatewayError('UNAUTHORIZED', 'a model token is required');
    const { tenantId, secret } = parsed;
    const [stored, record] = await Promise.all([
      this.tokens.get(tenantId, () =>
        this.lastTokens.read(tenantId, async () => {
          const value = await this.sources.secret(tenantId, 'model-token');
          return value === null ? null : digest(value);
        }),
      ),
      this.records.get(tenantId, () =>
        this.lastRecords.read(tenantId, () => this.sources.getTenant(tenantId)),
      ),
    ]);
    // Digests compare in constant time whatever the lengths.
    if (!stored || !record || !timingSafeEqual(stored, digest(secret)))
      throw new GatewayError('UNAUTHORIZED', 'the model token is not valid');
    if (record.status !== 'active') throw new GatewayError('TENANT_INACTIVE', `tenant is ${record.status}`);
    return {
      tenantId,
      tier: record.tier,
      status: record.status,
      quotas: effectiveQuotas(this.sources.tierQuotas, record.tier, record.quotas),
    };
  }

  /** The tenant's own key for `upstream`, else the platform's; 503 when neither exists. */
  async providerKey(tenantId: string, upstream: string): Promise<ProviderKey> {
    const name = `model-${upstream}`;
    const own = await this.keys.get(`${tenantId}\0${upstream}`, () =>
      this.lastKeys.read(`${tenantId}\0${upstream}`, () => this.sources.secret(tenantId, name)),
    );
    if (own) return { key: own, source: 'byok' };
    const platform = await this.platformKeys.get(upstream, async () => {
      const text = await readFile(this.sources.platformKeyPath(upstream), 'utf8').catch(() => '');
      return text.trim() || null;
    });
    if (platform) return { key: platform, source: 'platform' };
    throw new GatewayError('NO_PROVIDER_KEY', `no key for upstream ${upstream}`);
  }
}
