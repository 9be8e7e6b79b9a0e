/**
 * Admin API entry point, a process of its own: it holds the master key (it
 * stores secrets and hashes credentials), so it must not share a process
 * with the internet-facing router, which holds no key that decrypts
 * anything. Listens on the admin port and shuts down gracefully.
 */
import { Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { loadConfig } from '../common/config.js';
import { createRootLogger } from '../common/logger.js';
import { closeOnShutdown } from '../common/parent-watchdog.js';
import { createAdminApp } from './wiring.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createRootLogger({ level: config.common.logLevel, name: 'admin' });
  const redis = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined); // failed invalidations are logged where they happen
  await redis.connect().catch((error: unknown) => logger.warn({ err: error }, 'redis unavailable at start'));
  const connection = await Connection.connect({ address: config.temporal.address });
  const readiness = {
    redis: async () => {
      await redis.ping();
    },
    temporal: async () => {
      await connection.workflowService.getSystemInfo({});
    },
  };
  const admin = await createAdminApp({ config, logger, readiness, connection, redis });
  await admin.app.listen({ host: config.router.host, port: config.admin.port });

  closeOnShutdown(logger, 'admin API', async () => {
    await admin.app.close(); // finishes in-flight requests
    await admin.close();
    redis.disconnect();
    await connection.close();
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
