/**
 * Builds the gateway's services from real clients: server.ts with clients
 * made from configuration, tests and the benchmark with test servers. The
 * gateway is a control-plane process: it holds the master key (to read a
 * tenant's own provider key) and the platform key files; a tenant gets only
 * its model token.
 */
import type { Client } from '@temporalio/client';
import { QuotaHitNotices } from '../client/quota-hit-notices.js';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Redis } from 'ioredis';
import { Agent } from 'undici';
import { upstreamKeyPath, type Config } from '../common/config.js';
import type { Logger } from '../common/logger.js';
import { parseTierQuotas } from '../common/quotas.js';
import { DynamoRegistry } from '../registry/dynamo-registry.js';
import { recordQuotaHit } from '../registry/quota-hits.js';
import type { DynamoSecretStore } from '../registry/secret-store.js';
import type { TableNames } from '../registry/tables.js';
import { sumUsage } from '../registry/usage.js';
import { ModelCatalog } from './catalog.js';
import { GatewayMetrics } from './metrics.js';
import { QuotaCounters } from './quota-counters.js';
import { QuotaGuard } from './quota-guard.js';
import type { GatewayServices } from './services.js';
import { TenantAccess } from './tenant-access.js';
import { UsageMeter } from './usage-meter.js';

/** The model gateway's slice of the configuration. */
export type GatewaySettings = { common: Pick<Config['common'], 'dataDir'> } & Pick<Config, 'model'>;

export interface GatewayParts {
  /** Fail-fast Redis (router/wiring.ts `hotPathRedis`): a dead Redis must not queue requests. */
  readonly redis: Redis;
  readonly doc: DynamoDBDocumentClient;
  readonly tables: TableNames;
  readonly secrets: DynamoSecretStore;
  readonly settings: GatewaySettings;
  readonly logger: Logger;
  /** Tells tenant workflows of quota refusals at once (the Web UI); without it they learn at the next usage report. */
  readonly temporal?: Client;
  /** @default a fresh GatewayMetrics with process metrics */
  readonly metrics?: GatewayMetrics;
}

export function wireGateway(parts: GatewayParts): { services: GatewayServices; close(): Promise<void> } {
  const { redis, doc, tables, secrets, settings, logger } = parts;
  const metrics = parts.metrics ?? new GatewayMetrics({ defaultMetrics: true });
  const catalog = new ModelCatalog(settings.model);
  const registry = new DynamoRegistry({ doc, tables });
  const notices =
    parts.temporal &&
    new QuotaHitNotices(parts.temporal, (error) =>
      logger.warn({ err: error }, 'could not signal a quota hit'),
    );
  const guard = new QuotaGuard({
    counters: new QuotaCounters(redis),
    durable: {
      tokens: async (tenantId, fromDay, toDay) =>
        (await sumUsage(doc, tables.usage, tenantId, fromDay, toDay)).reduce((n, d) => n + d.tokens, 0),
      quotaHit: (tenantId, hit) => {
        notices?.notify(tenantId, hit);
        return recordQuotaHit(doc, tables.usage, tenantId, hit);
      },
    },
    metrics,
    logger,
  });
  const upstream = new Agent({ connections: 512, pipelining: 1, keepAliveTimeout: 30_000 });
  const services: GatewayServices = {
    access: new TenantAccess({
      getTenant: (tenantId) => registry.get(tenantId),
      secret: (tenantId, name) => secrets.resolveIfPresent(tenantId, name),
      platformKeyPath: (name) => upstreamKeyPath(settings, name),
      tierQuotas: parseTierQuotas(settings.model.tierQuotas),
    }),
    catalog,
    guard,
    meter: new UsageMeter({
      catalog,
      guard,
      metrics,
      logger,
      store: (records) => registry.recordModelUsageBatch(records),
    }),
    metrics,
    upstream,
    logger,
  };
  return { services, close: () => upstream.close() };
}
