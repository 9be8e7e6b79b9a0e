/**
 * Router entry point: the public listener only. Builds the app, wires real
 * clients into it, listens, and shuts down gracefully (stop accepting, finish
 * in-flight requests and forwards, close pools and clients). It opens the
 * router key file and nothing else: no master key, so this internet-facing
 * process cannot decrypt any secret (the admin API is admin/server.ts).
 */
import type { ListenOptions } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { FastifyListenOptions } from 'fastify';
import { Redis } from 'ioredis';
import { createDynamoClient } from '../common/aws-clients.js';
import { loadConfig, routerKeyPath } from '../common/config.js';
import { createRootLogger } from '../common/logger.js';
import { startTracing, tracedClientInterceptors } from '../common/tracing.js';
import { closeOnShutdown } from '../common/parent-watchdog.js';
import { createDocumentClient } from '../registry/document-client.js';
import { tableNames } from '../registry/tables.js';
import { buildApp } from './app.js';
import { openRouterKeys } from './router-keys.js';
import { hotPathRedis, wireRouterServices } from './wiring.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createRootLogger({ level: config.common.logLevel, name: 'router' });
  // First: without its keys the router can authenticate nobody, so it should not start at all.
  const keys = await openRouterKeys(routerKeyPath(config));
  const redis = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const hotRedis = hotPathRedis(config.redis.url);
  for (const client of [redis, hotRedis]) client.on('error', () => undefined); // logged by users, once
  await Promise.all(
    [redis, hotRedis].map((client) =>
      client.connect().catch((error: unknown) => logger.warn({ err: error }, 'redis unavailable at start')),
    ),
  );
  const tracing = await startTracing({
    serviceName: 'clawfleet-router',
    otlpEndpoint: config.telemetry.otlpEndpoint,
  });
  const temporal = await Connection.connect({ address: config.temporal.address });
  const dynamo = createDynamoClient(config);
  const readiness = {
    redis: async () => {
      await redis.ping();
    },
    temporal: async () => {
      await temporal.workflowService.getSystemInfo({});
    },
  };
  const { services, limits } = wireRouterServices({
    redis: hotRedis,
    temporal: new Client({
      connection: temporal,
      namespace: config.temporal.namespace,
      interceptors: await tracedClientInterceptors(tracing),
    }),
    doc: createDocumentClient(dynamo),
    tables: tableNames(config.aws.tablePrefix),
    keys,
    logger,
    settings: config,
  });
  const app = await buildApp({ logger, readiness, redis: hotRedis, services, limits, tracing });
  // reusePort: replicas on one host share the port, so a retry after one's death reaches another (not a restart).
  const listen: FastifyListenOptions & Pick<ListenOptions, 'reusePort'> = {
    host: config.router.host,
    port: config.router.port,
    reusePort: config.router.reusePort,
  };
  await app.listen(listen);

  closeOnShutdown(logger, 'router', async () => {
    // Stops accepting (new requests get 503), waits for in-flight requests, then closes the upstream pools.
    await app.close();
    redis.disconnect();
    hotRedis.disconnect();
    dynamo.destroy();
    await temporal.close();
    await tracing?.shutdown();
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
