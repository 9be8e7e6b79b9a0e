/**
 * The real router (public app) in front of a test fleet, wired as server.ts
 * wires it, listening on a free loopback port: webhooks take the hot path to
 * a running tenant and the cold path (signal-with-start) otherwise.
 */
import { createRootLogger } from '../../common/logger.js';
import type { Tracing } from '../../common/tracing.js';
import { routerKeyMaterial } from '../../registry/platform-keys.js';
import { buildApp } from '../../router/app.js';
import { RouterMetrics } from '../../router/metrics.js';
import { routerKeysFrom } from '../../router/router-keys.js';
import { hotPathRedis, wireRouterServices } from '../../router/wiring.js';
import type { Fleet } from './fleet.js';

export interface FleetRouter {
  readonly url: string;
  /** POST a Telegram update to `/tg/<tenantId>` with the tenant's webhook secret. */
  telegram(tenantId: string, secret: string, update: unknown): Promise<Response>;
  close(): Promise<void>;
}

/** `tracing`: the test process's SDK, for a span per tenant request (as server.ts does when traced). */
export async function startFleetRouter(
  fleet: Fleet,
  options: { tracing?: Tracing } = {},
): Promise<FleetRouter> {
  const redis = hotPathRedis(fleet.redis.url);
  await redis.connect();
  const logger = createRootLogger({ level: 'warn', name: 'fleet-router' });
  const { doc, tables } = fleet.dynamo;
  // What the admin API's bootstrap copies into the router key file: the router never gets the master key.
  const keys = routerKeysFrom(await routerKeyMaterial({ doc, tables, masterKey: fleet.masterKey }));
  const { services, limits } = wireRouterServices({
    redis,
    temporal: fleet.client,
    doc,
    tables,
    keys,
    logger,
    settings: { ...fleet.config, router: { ...fleet.config.router, rateLimit: 100_000 } },
    metrics: new RouterMetrics(),
  });
  const app = await buildApp({
    logger,
    readiness: {},
    redis,
    services,
    limits,
    tracing: options.tracing ?? null,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    telegram: (tenantId, secret, update) =>
      fetch(`${url}/tg/${tenantId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
        body: JSON.stringify(update),
      }),
    close: async () => {
      await app.close();
      redis.disconnect();
    },
  };
}
