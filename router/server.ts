/**
 * Router entry point: builds the public and admin apps, wires real clients
 * into them, listens on two ports, and shuts down gracefully (stop accepting,
 * finish in-flight requests, close clients).
 */
import { Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { loadConfig } from '../common/config.js';
import { createRootLogger } from '../common/logger.js';
import { exitWhenParentDies } from '../common/parent-watchdog.js';
import { createAdminApp } from './admin-app.js';
import { buildApp } from './app.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createRootLogger({ level: config.logLevel, name: 'router' });
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect().catch((error: unknown) => logger.warn({ err: error }, 'redis unavailable at start'));
  const temporal = await Connection.connect({ address: config.temporalAddress });
  const readiness = {
    redis: async () => {
      await redis.ping();
    },
    temporal: async () => {
      await temporal.workflowService.getSystemInfo({});
    },
  };
  const app = buildApp({ logger, readiness });
  const adminApp = await createAdminApp({ config, logger, readiness, connection: temporal, redis });
  const admin = adminApp.app;
  await app.listen({ host: config.routerHost, port: config.routerPort });
  await admin.listen({ host: config.routerHost, port: config.adminPort });

  let closing = false;
  const shutdown = async (reason: string) => {
    if (closing) return;
    closing = true;
    logger.info({ reason }, 'router shutting down');
    await Promise.all([app.close(), admin.close()]); // stops accepting; waits for in-flight requests
    await adminApp.close();
    redis.disconnect();
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
