/**
 * Builds the router's services from real clients. server.ts calls it with
 * clients made from configuration; tests call it with clients of test servers
 * (redis-server, Temporal dev server, dynalite), so both run the same wiring.
 * Its key material is `RouterKeys` (a verifier and a signer): no master key,
 * no secret store, so the router process cannot decrypt anything.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Client } from '@temporalio/client';
import { msToNumber } from '@temporalio/common';
import { Redis } from 'ioredis';
import { TenantClient } from '../client/tenant-client.js';
import type { Config } from '../common/config.js';
import type { Logger } from '../common/logger.js';
import { ENDPOINT_KEY_PREFIX } from '../endpoints/redis-endpoint-cache.js';
import { TENANT_LOOKUP_GENERATION_PREFIX } from '../endpoints/tenant-lookup-keys.js';
import { parseTierQuotas } from '../common/quotas.js';
import { DynamoRegistry } from '../registry/dynamo-registry.js';
import { QuotaHitNotices } from '../client/quota-hit-notices.js';
import { QuotaHitThrottle, recordQuotaHit } from '../registry/quota-hits.js';
import type { TableNames } from '../registry/tables.js';
import { EndpointLookup } from './endpoint-lookup.js';
import { KeyInvalidations } from './key-invalidations.js';
import { MessageCounter } from './message-counter.js';
import { RouterMetrics } from './metrics.js';
import type { RouterKeys } from './router-keys.js';
import type { RouterLimits, RouterServices } from './services.js';
import { TenantDirectory } from './tenant-directory.js';
import { TouchDebouncer } from './touch.js';
import { Upstream } from './upstream.js';
import { WarnOnce } from './warn-once.js';

/**
 * The hot path's Redis client: it never queues behind a dead Redis (commands
 * fail at once and the router falls back to the registry and the cold path),
 * and pipelines the lookups of concurrent requests. Not connected yet.
 */
export function hotPathRedis(url: string): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 500,
    enableAutoPipelining: true,
  });
  redis.on('error', () => undefined); // failures surface as failed commands, counted and logged once
  return redis;
}

/** The router's slice of the configuration; tier quota defaults are optional (the built-in ones otherwise). */
export type RouterSettings = Pick<Config, 'router'> & {
  temporal: Pick<Config['temporal'], 'taskQueue'>;
  model?: Pick<Config['model'], 'tierQuotas'>;
};

export interface RouterParts {
  /** Hot-path Redis: fail fast when down (no offline queue), so the router falls back instead of waiting. */
  readonly redis: Redis;
  readonly temporal: Client;
  readonly doc: DynamoDBDocumentClient;
  readonly tables: TableNames;
  /** From the router key file (router-keys.ts): verify credentials, sign forwards; decrypt nothing. */
  readonly keys: RouterKeys;
  readonly logger: Logger;
  readonly settings: RouterSettings;
  /** @default a fresh RouterMetrics with process metrics */
  readonly metrics?: RouterMetrics;
}

export function wireRouterServices(parts: RouterParts): { services: RouterServices; limits: RouterLimits } {
  const { redis, doc, tables, keys, logger, settings } = parts;
  const metrics = parts.metrics ?? new RouterMetrics({ defaultMetrics: true });
  const tracking = new KeyInvalidations(
    redis,
    [ENDPOINT_KEY_PREFIX, TENANT_LOOKUP_GENERATION_PREFIX],
    logger,
  );
  tracking.start();
  const hits = new QuotaHitThrottle();
  const notices = new QuotaHitNotices(parts.temporal, (error) =>
    warn.warn('quota-hit-signal', error, 'could not signal a quota hit'),
  );
  const warn = new WarnOnce(logger);
  const services: RouterServices = {
    directory: new TenantDirectory({
      redis,
      source: new DynamoRegistry({ doc, tables }),
      verifier: keys.verifier,
      metrics,
      logger,
      ttlMs: msToNumber(settings.router.lookupCacheTtl),
      tracking,
      tierQuotas: parseTierQuotas(settings.model?.tierQuotas ?? ''),
    }),
    endpoints: new EndpointLookup(redis, metrics, logger, tracking),
    signer: keys.signer,
    upstream: new Upstream({
      timeoutMs: msToNumber(settings.router.forwardTimeout),
      chatTimeoutMs: msToNumber(settings.router.chatTimeout),
    }),
    tenants: new TenantClient({ client: parts.temporal, taskQueue: settings.temporal.taskQueue }),
    touches: new TouchDebouncer({
      redis,
      client: parts.temporal,
      logger,
      intervalMs: msToNumber(settings.router.touchInterval),
    }),
    metrics,
    tracking,
    messages: new MessageCounter(redis, logger),
    quotaHit: (tenantId, hit) => {
      metrics.quotaRejections.inc({ kind: hit.kind });
      if (!hits.shouldRecord(tenantId, hit.kind, Date.parse(hit.at))) return;
      notices.notify(tenantId, hit);
      recordQuotaHit(doc, tables.usage, tenantId, hit).catch((error: unknown) =>
        warn.warn('quota-hit', error, 'could not record a quota refusal'),
      );
    },
  };
  const limits: RouterLimits = {
    rateLimit: settings.router.rateLimit,
    rateLimitWindowMs: msToNumber(settings.router.rateLimitWindow),
    wakeTimeoutMs: msToNumber(settings.router.wakeTimeout),
  };
  return { services, limits };
}
