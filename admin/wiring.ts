import { Client, type Connection } from '@temporalio/client';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { join, resolve } from 'node:path';
import { readSandboxView } from '../local/sandbox/sandbox-view.js';
import { TenantClient } from '../client/tenant-client.js';
import { createDynamoClient, createS3Client } from '../common/aws-clients.js';
import { adminTokenPath, masterKeyPath, routerKeyPath, type Config } from '../common/config.js';
import { FileMasterKey } from '../common/crypto.js';
import type { Logger } from '../common/logger.js';
import { TenantCredentials } from '../registry/credentials.js';
import { createDocumentClient } from '../registry/document-client.js';
import { DynamoRegistry } from '../registry/dynamo-registry.js';
import { ensureRouterKeyFile, openCredentialHasher } from '../registry/platform-keys.js';
import { DynamoSecretStore } from '../registry/secret-store.js';
import { tableNames } from '../registry/tables.js';
import type { ReadinessCheck } from '../router/health.js';
import { S3SnapshotStore } from '../snapshots/s3-snapshot-store.js';
import { TelegramBotApi } from '../telegram/bot-api.js';
import { buildAdminApp } from './app.js';
import { ensurePlatformTokenFile } from './bootstrap.js';
import { FileTenantLogSource } from './log-source.js';
import { AdminTokenStore } from './token-store.js';

/** The admin API's slice of the configuration. */
export type AdminConfig = Pick<
  Config,
  'common' | 'temporal' | 'redis' | 'aws' | 'router' | 'admin' | 'telegram' | 'runtime' | 'local'
>;

/** What server.ts hands the admin app; it builds its own stores from `config`. */
export interface AdminContext {
  readonly config: AdminConfig;
  readonly logger: Logger;
  readonly readiness: Record<string, ReadinessCheck>;
  /** Temporal connection (closed by server.ts). */
  readonly connection: Connection;
  /** Redis client for lookup invalidations (closed by server.ts). */
  readonly redis: Redis;
}

export interface AdminApp {
  readonly app: FastifyInstance;
  /** Releases what createAdminApp opened itself (not the connection or Redis it was given). */
  close(): Promise<void>;
}

/**
 * The admin API for operators and billing systems, in its own process and on
 * its own port, never reachable through the public one. Wires the real
 * registry, secret store (it holds the master key: it stores secrets and
 * hashes credentials), snapshot store and tenant logs.
 */
export async function createAdminApp(ctx: AdminContext): Promise<AdminApp> {
  const { config } = ctx;
  // Typed as Fastify's logger so the app keeps Fastify's default generics.
  const logger: FastifyBaseLogger = ctx.logger.child({ component: 'admin' });
  const dynamo = createDynamoClient(config);
  const s3 = createS3Client(config);
  const doc = createDocumentClient(dynamo);
  const tables = tableNames(config.aws.tablePrefix);
  const masterKey = await FileMasterKey.open(masterKeyPath(config), { create: true });
  const registry = new DynamoRegistry({ doc, tables });
  const secrets = new DynamoSecretStore({ doc, tables, masterKey });
  const hasher = await openCredentialHasher({ doc, tables, masterKey });
  const tokens = new AdminTokenStore(doc, tables.secrets);
  const temporal = new Client({ connection: ctx.connection, namespace: config.temporal.namespace });
  if (config.admin.bootstrap) {
    const result = await ensurePlatformTokenFile(tokens, adminTokenPath(config));
    if (result.created)
      logger.info({ path: result.path, tokenId: result.tokenId }, 'platform admin token written');
    // The router's keys, copied out of the wrapped platform keys: the router itself never opens the master key.
    const router = await ensureRouterKeyFile(routerKeyPath(config), { doc, tables, masterKey });
    if (router.written) logger.info({ path: router.path }, 'router key file written');
  }
  const app = await buildAdminApp(
    {
      registry,
      secrets,
      credentials: new TenantCredentials({ registry, secrets, hasher }),
      tokens,
      tenants: new TenantClient({ client: temporal, taskQueue: config.temporal.taskQueue }),
      temporal,
      snapshots: new S3SnapshotStore({
        s3,
        bucket: config.aws.s3Bucket,
        masterKey,
        logger: ctx.logger.child({ component: 'snapshots' }),
      }),
      logs: new FileTenantLogSource(join(config.common.dataDir, 'tenants')),
      ...(config.runtime.kind === 'local' && {
        sandbox: (tenantId: string) =>
          readSandboxView(resolve(config.common.dataDir), tenantId, config.local.sandbox),
      }),
      redis: ctx.redis,
      telegram: {
        api: new TelegramBotApi({ apiRoot: config.telegram.apiRoot }),
        publicUrl: config.router.publicUrl,
      },
    },
    { logger, readiness: ctx.readiness },
  );
  return {
    app,
    close: () => {
      dynamo.destroy();
      s3.destroy();
      return Promise.resolve();
    },
  };
}
