/**
 * Wires the real adapters behind the activity ports from configuration:
 * S3 snapshots, the DynamoDB registry and secret store, the Redis endpoint
 * cache, and the tenant runtime. Returns them with one `close()`.
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Redis } from 'ioredis';
import type { ActivityDeps } from '../activities/ports.js';
import { createDynamoClient, createS3Client } from '../common/aws-clients.js';
import { masterKeyPath, type Config } from '../common/config.js';
import { FileMasterKey } from '../common/crypto.js';
import type { Logger } from '../common/logger.js';
import { RedisEndpointCache } from '../endpoints/redis-endpoint-cache.js';
import { DynamoRegistry } from '../registry/dynamo-registry.js';
import { DynamoSecretStore } from '../registry/secret-store.js';
import { tableNames } from '../registry/tables.js';
import { S3SnapshotStore } from '../snapshots/s3-snapshot-store.js';
import { SnapshotStorePort } from '../snapshots/snapshot-store-port.js';
import { unavailableRuntime } from './unavailable-runtime.js';

export interface WiredAdapters {
  readonly deps: ActivityDeps;
  close(): Promise<void>;
}

export async function wireAdapters(config: Config, logger: Logger): Promise<WiredAdapters> {
  const s3 = createS3Client(config);
  const dynamo = createDynamoClient(config);
  const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
  redis.on('error', (error) => logger.warn({ err: error }, 'redis error'));
  const masterKey = await FileMasterKey.open(masterKeyPath(config), { create: true });
  const tables = tableNames(config.tablePrefix);
  const snapshotStore = new S3SnapshotStore({
    s3,
    bucket: config.s3Bucket,
    masterKey,
    logger: logger.child({ component: 'snapshots' }),
  });
  const { runtime, agent } = unavailableRuntime(config.runtime);
  return {
    deps: {
      runtime,
      agent,
      snapshots: new SnapshotStorePort(snapshotStore),
      registry: new DynamoRegistry({ doc, tables }),
      endpoints: new RedisEndpointCache(redis),
      secrets: new DynamoSecretStore({ doc, tables, masterKey }),
    },
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
      s3.destroy();
      dynamo.destroy();
    },
  };
}
