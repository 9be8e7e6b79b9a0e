/**
 * Router entry point: builds the public and admin apps, wires real clients
 * into them, listens on two ports, and shuts down gracefully (stop accepting,
 * finish in-flight requests and forwards, close pools and clients).
 */
import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { createDynamoClient } from '../common/aws-clients.js';
import { loadConfig, masterKeyPath } from '../common/config.js';
import { FileMasterKey } from '../common/crypto.js';
import { createRootLogger } from '../common/logger.js';
import { exitWhenParentDies } from '../common/parent-watchdog.js';
import { createDocumentClient } from '../registry/document-client.js';
import { tableNames } from '../registry/tables.js';
import { createAdminApp } from './admin-app.js';
import { buildApp } from './app.js';
import { hotPathRedis, wireRouterServices } from './wiring.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createRootLogger({ level: config.logLevel, name: 'router' });
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const hotRedis = hotPathRedis(config.redisUrl);
  for (const client of [redis, hotRedis]) client.on('error', () => undefined); // logged by users, once
  await Promise.all(
    [redis, hotRedis].map((client) =>
      client.connect().catch((error: unknown) => logger.warn({ err: error }, 'redis unavailable at start')),
    ),
  );
  const temporal = await Connection.connect({ address: config.temporalAddress });
  const dynamo = createDynamoClient(config);
  const readiness = {
    redis: async () => {
      await redis.ping();
    },
    temporal: async () => {
      await temporal.workflowService.getSystemInfo({});
    },
  };
  const { services, limits } = await wireRouterServices({
    redis: hotRedis,
    temporal: new Client({ connection: temporal, namespace: config.temporalNamespace }),
    doc: createDocumentClient(dynamo),
    tables: tableNames(config.tablePrefix),
    masterKey: await FileMasterKey.open(masterKeyPath(config), { create: true }),
    logger,
    settings: config,
  });
  const app = await buildApp({ logger, readiness, redis: hotRedis, services, limits });
  const adminApp = await createAdminApp({ config, logger, readiness, connection: temporal, redis });
  const admin = adminApp.app;
  await app.listen({ host: config.routerHost, port: config.routerPort });
  await admin.listen({ host: config.routerHost, port: config.adminPort });

  let closing = false;
  const shutdown = async (reason: string) => {
    if (closing) return;
    closing = true;
    logger.info({ reason }, 'router shutting down');
    // Stops accepting (new requests get 503), waits for in-flight requests, then closes the upstream pools.
    await Promise.all([app.close(), admin.close()]);
    await adminApp.close();
    redis.disconnect();
    hotRedis.disconnect();
    dynamo.destroy();
    await temporal.close();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void shutdown(signal));
  exitWhenParentDies(process.argv, () => void shutdown('parent exited'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
