/**
 * Builds the router's services from real clients. server.ts calls it with
 * clients made from configuration; tests call it with clients of test servers
 * (redis-server, Temporal dev server, dynalite), so both run the same wiring.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Client } from '@temporalio/client';
import { msToNumber } from '@temporalio/common';
import { Redis } from 'ioredis';
import { TenantClient } from '../client/tenant-client.js';
import type { Config } from '../common/config.js';
import type { MasterKeyProvider } from '../common/crypto.js';
import type { Logger } from '../common/logger.js';
import { ENDPOINT_KEY_PREFIX } from '../endpoints/redis-endpoint-cache.js';
import { TENANT_LOOKUP_GENERATION_PREFIX } from '../endpoints/tenant-lookup-keys.js';
import { CredentialHasher } from '../registry/credential-hash.js';
import { DynamoRegistry } from '../registry/dynamo-registry.js';
import { DynamoSecretStore, SECRET_NAMES } from '../registry/secret-store.js';
import type { TableNames } from '../registry/tables.js';
import { EndpointLookup } from './endpoint-lookup.js';
import { KeyInvalidations } from './key-invalidations.js';
import { RouterMetrics } from './metrics.js';
import type { RouterLimits, RouterServices } from './services.js';
import { SupervisorTokens } from './supervisor-tokens.js';
import { TenantDirectory } from './tenant-directory.js';
import { TouchDebouncer } from './touch.js';
import { Upstream } from './upstream.js';

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

export type RouterSettings = Pick<
  Config,
  | 'taskQueue'
  | 'routerRateLimit'
  | 'routerRateLimitWindow'
  | 'routerLookupCacheTtl'
  | 'routerForwardTimeout'
  | 'routerWakeTimeout'
  | 'routerTouchInterval'
>;

export interface RouterParts {
  /** Hot-path Redis: fail fast when down (no offline queue), so the router falls back instead of waiting. */
  readonly redis: Redis;
  readonly temporal: Client;
  readonly doc: DynamoDBDocumentClient;
  readonly tables: TableNames;
  readonly masterKey: MasterKeyProvider;
  readonly logger: Logger;
  readonly settings: RouterSettings;
  /** @default a fresh RouterMetrics with process metrics */
  readonly metrics?: RouterMetrics;
}

export async function wireRouterServices(
  parts: RouterParts,
): Promise<{ services: RouterServices; limits: RouterLimits }> {
  const { redis, doc, tables, masterKey, logger, settings } = parts;
  const metrics = parts.metrics ?? new RouterMetrics({ defaultMetrics: true });
  const hasher = await CredentialHasher.open({ doc, tables, masterKey });
  const secrets = new DynamoSecretStore({ doc, tables, masterKey });
  const tracking = new KeyInvalidations(
    redis,
    [ENDPOINT_KEY_PREFIX, TENANT_LOOKUP_GENERATION_PREFIX],
    logger,
  );
  tracking.start();
  const services: RouterServices = {
    directory: new TenantDirectory({
      redis,
      source: new DynamoRegistry({ doc, tables }),
      hasher,
      metrics,
      logger,
      ttlMs: msToNumber(settings.routerLookupCacheTtl),
      tracking,
    }),
    endpoints: new EndpointLookup(redis, metrics, logger, tracking),
    tokens: new SupervisorTokens({
      resolve: (tenantId) => secrets.resolve(tenantId, SECRET_NAMES.supervisorToken),
    }),
    upstream: new Upstream({ timeoutMs: msToNumber(settings.routerForwardTimeout) }),
    tenants: new TenantClient({ client: parts.temporal, taskQueue: settings.taskQueue }),
    touches: new TouchDebouncer({
      redis,
      client: parts.temporal,
      logger,
      intervalMs: msToNumber(settings.routerTouchInterval),
    }),
    metrics,
    tracking,
  };
  const limits: RouterLimits = {
    rateLimit: settings.routerRateLimit,
    rateLimitWindowMs: msToNumber(settings.routerRateLimitWindow),
    wakeTimeoutMs: msToNumber(settings.routerWakeTimeout),
  };
  return { services, limits };
}
