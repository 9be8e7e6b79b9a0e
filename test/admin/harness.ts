/**
 * One admin API over real parts for a suite: dynalite (registry, secrets,
 * admin tokens), s3rver (snapshots), redis-server (idempotency, lookup
 * cache), a Temporal dev server and a worker running the real tenant
 * workflow. The worker's activities use the real registry, secret and
 * snapshot stores; only the runtime and the agent are FakeWorld's, so an
 * offboard dry run lists what the real stores hold.
 */
import { readSandboxView } from '../../local/sandbox/sandbox-view.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { createActivities } from '../../activities/index.js';
import { invalidateTenantLookup } from '../../endpoints/tenant-lookup-keys.js';
import { buildAdminApp } from '../../admin/app.js';
import type { AdminDeps } from '../../admin/deps.js';
import { FileTenantLogSource } from '../../admin/log-source.js';
import { AdminTokenStore } from '../../admin/token-store.js';
import { TenantClient } from '../../client/tenant-client.js';
import { createFleetActivities } from '../../activities/fleet.js';
import { FleetAdapter } from '../../worker/fleet-adapter.js';
import { FileMasterKey } from '../../common/crypto.js';
import { openCredentialHasher } from '../../registry/platform-keys.js';
import { TenantCredentials } from '../../registry/credentials.js';
import { DynamoRegistry } from '../../registry/dynamo-registry.js';
import { DynamoSecretStore } from '../../registry/secret-store.js';
import { S3SnapshotStore } from '../../snapshots/s3-snapshot-store.js';
import { SnapshotStorePort } from '../../snapshots/snapshot-store-port.js';
import { startFakeTelegram, type FakeTelegram } from '../../fakes/fake-telegram.js';
import { TelegramBotApi } from '../../telegram/bot-api.js';
import { TenantWebhooks } from '../../telegram/tenant-webhooks.js';
import { startDynamo, type TestDynamo } from '../helpers/dynamo.js';
import { startTestRedis } from '../helpers/redis.js';
import { startS3 } from '../helpers/s3.js';
import { createLocalEnv } from '../helpers/temporal.js';
import { FakeWorld } from '../workflows/fake-world.js';
import { bundle, quietRuntime, uniqueTenantId } from '../workflows/harness.js';

export interface AdminHarness {
  readonly app: FastifyInstance;
  readonly deps: AdminDeps;
  readonly env: TestWorkflowEnvironment;
  readonly world: FakeWorld;
  readonly dataDir: string;
  /** The Bot API the admin API and the worker's Telegram activities call. */
  readonly telegram: FakeTelegram;
  /** Webhooks point at `<publicUrl>/tg/<tenantId>`. */
  readonly publicUrl: string;
  readonly dynamo: TestDynamo;
  readonly masterKey: FileMasterKey;
  readonly redisUrl: string;
  /** The worker's task queue (a router over this harness starts tenant workflows there). */
  readonly taskQueue: string;
  /** A platform token. */
  readonly platform: string;
  /** A token scoped to `tenant:<id>`. */
  tenantToken(tenantId: string): Promise<string>;
  request(options: InjectOptions & { token?: string | null }): Promise<LightMyRequestResponse>;
  /** Creates a tenant through the API and returns its id. */
  createTenant(extra?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export { uniqueTenantId };

export async function startAdminHarness(options: { worker?: boolean } = {}): Promise<AdminHarness> {
  quietRuntime();
  const [dynamo, s3, redis, env, workflowBundle, telegram] = await Promise.all([
    startDynamo(),
    startS3(),
    startTestRedis(),
    createLocalEnv(),
    options.worker === false ? Promise.resolve(undefined) : bundle(),
    startFakeTelegram(),
  ]);
  const publicUrl = 'https://router.test';
  const botApi = new TelegramBotApi({ apiRoot: telegram.url });
  const dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-admin-'));
  const masterKey = await FileMasterKey.open(join(dataDir, 'keys', 'master.key'));
  const { doc, tables } = dynamo;
  const registry = new DynamoRegistry({ doc, tables });
  const secrets = new DynamoSecretStore({ doc, tables, masterKey });
  const hasher = await openCredentialHasher({ doc, tables, masterKey });
  const credentials = new TenantCredentials({ registry, secrets, hasher });
  const snapshots = new S3SnapshotStore({ s3: s3.client, bucket: s3.bucket, masterKey });
  const taskQueue = `admin-${uniqueTenantId('q')}`;
  const deps: AdminDeps = {
    registry,
    secrets,
    credentials,
    tokens: new AdminTokenStore(doc, tables.secrets),
    tenants: new TenantClient({ client: env.client, taskQueue }),
    temporal: env.client,
    snapshots,
    logs: new FileTenantLogSource(join(dataDir, 'tenants'), 50),
    // What the local runtime leaves for it under the data dir (local/sandbox/sandbox-view.ts).
    sandbox: (tenantId) => readSandboxView(dataDir, tenantId, 'on'),
    redis: redis.client(),
    describeTimeoutMs: 3000,
    // Short, so the rotation test sees the previous secret's window close.
    telegram: { api: botApi, publicUrl, previousSecretGraceMs: 4_000 },
  };
  const world = new FakeWorld('shared');
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  if (workflowBundle) {
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle,
      activities: {
        // Fleet upgrades on the real adapter: the registry and tenant workflows above (nothing to install here).
        ...createFleetActivities(
          new FleetAdapter({ registry, client: env.client, taskQueue, install: () => Promise.resolve() }),
        ),
        ...createActivities({
          ...world.deps(),
          // Real invalidation: a router built over this harness sees credential changes at once.
          endpoints: {
            ...world.deps().endpoints,
            invalidateTenantView: (tenantId) => invalidateTenantLookup(deps.redis, tenantId),
          },
          registry,
          secrets,
          snapshots: new SnapshotStorePort(snapshots),
          // The real adapter against the fake Bot API: tokens and secrets are resolved from the real store.
          telegram: new TenantWebhooks({ api: botApi, secrets, credentials, publicUrl, registry }),
        }),
      },
    });
    running = worker.run();
  }
  const app = await buildAdminApp(deps, { logger: pino({ level: 'silent' }), readiness: {} });
  const platform = (await deps.tokens.create('platform', 'test')).token;
  const request = (opts: InjectOptions & { token?: string | null }) => {
    const { token, ...rest } = opts;
    const auth = token === null ? {} : { authorization: `Bearer ${token ?? platform}` };
    return app.inject({ ...rest, headers: { ...auth, ...rest.headers } });
  };
  return {
    app,
    deps,
    env,
    world,
    dataDir,
    telegram,
    publicUrl,
    dynamo,
    masterKey,
    redisUrl: redis.url,
    taskQueue,
    platform,
    tenantToken: async (tenantId) => (await deps.tokens.create(`tenant:${tenantId}`, 'test')).token,
    request,
    createTenant: async (extra = {}) => {
      const tenantId = uniqueTenantId('adm');
      const response = await request({ method: 'POST', url: '/v1/tenants', payload: { tenantId, ...extra } });
      if (response.statusCode !== 201)
        throw new Error(`create failed: ${response.statusCode} ${response.body}`);
      return tenantId;
    },
    close: async () => {
      await app.close();
      worker?.shutdown();
      await running;
      await env.teardown();
      await Promise.all([dynamo.close(), s3.close(), redis.stop(), telegram.close()]);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
