/**
 * A whole clawfleet on this machine for end-to-end tests and the wake
 * benchmark: a real Temporal dev server, redis-server, s3rver, dynalite, the
 * real worker adapters with the local runtime (real OpenClaw per tenant), and
 * the fake LLM and fake Telegram Bot API in place of the outside world.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { TenantClient } from '../../client/tenant-client.js';
import { configToEnv, loadConfig, type Config } from '../../common/config.js';
import { createRootLogger } from '../../common/logger.js';
import { ensureOpenClaw, PINNED_OPENCLAW } from '../../dev/openclaw-install.js';
import { startFakeLlm, type FakeLlm } from '../../fakes/fake-llm.js';
import { startFakeTelegram, type FakeTelegram } from '../../fakes/fake-telegram.js';
import { processesMentioning } from '../../local/process-sweep.js';
import { createDocumentClient } from '../../registry/document-client.js';
import { DynamoRegistry } from '../../registry/dynamo-registry.js';
import { DynamoSecretStore, SECRET_NAMES } from '../../registry/secret-store.js';
import { FileMasterKey } from '../../common/crypto.js';
import { masterKeyPath } from '../../common/config.js';
import { wireAdapters, type WiredAdapters } from '../../worker/adapters.js';
import { startDynamo, type TestDynamo } from '../helpers/dynamo.js';
import { CredentialHasher } from '../../registry/credential-hash.js';
import { TenantCredentials } from '../../registry/credentials.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { createLocalEnv } from '../helpers/temporal.js';

export interface Fleet {
  readonly config: Config;
  readonly client: Client;
  readonly tenants: TenantClient;
  readonly registry: DynamoRegistry;
  readonly secrets: DynamoSecretStore;
  readonly llm: FakeLlm;
  readonly telegram: FakeTelegram;
  readonly s3: TestS3;
  readonly redis: TestRedis;
  readonly adapters: WiredAdapters;
  readonly dynamo: TestDynamo;
  readonly masterKey: FileMasterKey;
  /** A tenant in the registry with Telegram on and every secret it needs; returns its bot token. */
  registerTenant(tenantId: string): Promise<{ botToken: string; webhookSecret: string }>;
  /** The tenant's directory under the fleet's data dir. */
  tenantDir(tenantId: string): string;
  /** Pids of every process of the tenant (supervisor, OpenClaw and helpers). */
  tenantProcesses(tenantId: string): Promise<number[]>;
  /** Pids of every process the local runtime started, idle warm supervisors included. */
  runtimeProcesses(): Promise<number[]>;
  stop(): Promise<void>;
}

export async function startFleet(
  options: { capacity?: number; logLevel?: 'info' | 'warn' } = {},
): Promise<Fleet> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  };
  try {
    installQuietRuntime();
    const base = loadConfig({});
    await ensureOpenClaw({ cacheDir: base.cacheDir });
    const dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-fleet-'));
    // CLAWFLEET_KEEP_TEST_DATA=1 keeps tenant logs and state for a post-mortem.
    if (!process.env['CLAWFLEET_KEEP_TEST_DATA'])
      cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    else console.log(`    [fleet] data dir kept: ${dataDir}`);
    const env: TestWorkflowEnvironment = await createLocalEnv();
    cleanups.push(() => env.teardown());
    const [llm, telegram, s3, redis, dynamo] = await Promise.all([
      startFakeLlm(),
      startFakeTelegram(),
      startS3('fleet-e2e'),
      startTestRedis(),
      startDynamo(),
    ]);
    cleanups.push(
      () => llm.close(),
      () => telegram.close(),
      () => s3.close(),
      () => redis.stop(),
      () => dynamo.close(),
    );
    const taskQueue = `fleet-${randomBytes(3).toString('hex')}`;
    const config = loadConfig({
      ...configToEnv(base),
      ...configToEnv({
        dataDir,
        taskQueue,
        redisUrl: redis.url,
        s3Endpoint: s3.endpoint,
        s3Bucket: s3.bucket,
        dynamodbEndpoint: dynamo.endpoint,
        tablePrefix: dynamo.tables.tenants.replace(/tenants$/, ''),
        modelProvider: 'fake',
        modelBaseUrl: llm.url,
        modelId: 'fake-model',
        telegramApiRoot: telegram.url,
        publicUrl: 'http://127.0.0.1:9/unused', // deliveries come through the workflow here
        localMaxTenants: options.capacity ?? 2,
        localPortBase: 21000 + 40 * Math.floor(Math.random() * 900),
        logLevel: options.logLevel ?? 'warn',
      }),
    });
    const logger = createRootLogger({ level: 'warn', name: 'fleet' });
    const adapters = await wireAdapters(config, logger, env.client);
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: new URL('../../workflows/index.ts', import.meta.url).pathname,
      activities: createActivities(adapters.deps),
    });
    const running = worker.run();
    // Stop order: the worker first (in-flight activities finish), then the tenants drain.
    cleanups.push(async () => {
      worker.shutdown();
      await running;
      await adapters.close();
    });
    const doc = createDocumentClient(dynamo.client);
    const masterKey = await FileMasterKey.open(masterKeyPath(config), { create: true });
    const registry = new DynamoRegistry({ doc, tables: dynamo.tables });
    const secrets = new DynamoSecretStore({ doc, tables: dynamo.tables, masterKey });
    const hasher = await CredentialHasher.open({ doc, tables: dynamo.tables, masterKey });
    const credentials = new TenantCredentials({ registry, secrets, hasher });
    const tenantDir = (tenantId: string) => join(dataDir, 'tenants', tenantId);
    return {
      config,
      client: env.client,
      tenants: new TenantClient({ client: env.client, taskQueue }),
      registry,
      secrets,
      llm,
      telegram,
      s3,
      redis,
      adapters,
      dynamo,
      masterKey,
      tenantDir,
      async tenantProcesses(tenantId) {
        // A claimed warm supervisor's environment predates its tenant: the runtime knows its pid.
        const pids = await processesMentioning(tenantDir(tenantId));
        const supervisor = adapters.localRuntime?.supervisorPid(tenantId);
        return supervisor !== undefined && !pids.includes(supervisor) && isAlive(supervisor)
          ? [supervisor, ...pids]
          : pids;
      },
      runtimeProcesses: () => processesMentioning(dataDir),
      async registerTenant(tenantId) {
        const botToken = `${100000 + Math.floor(Math.random() * 800000)}:fake-${tenantId}`;
        await registry.create({
          tenantId,
          displayName: tenantId,
          tier: 'standard',
          openclawVersion: PINNED_OPENCLAW,
          channels: { telegram: { enabled: true } },
        });
        await secrets.put(tenantId, SECRET_NAMES.telegramBotToken, botToken);
        // Issued the way the admin API does it: stored encrypted, its hash on the record for the router.
        await credentials.issueWebhookSecret(tenantId);
        const webhookSecret = await secrets.resolve(tenantId, SECRET_NAMES.telegramWebhookSecret);
        await secrets.put(tenantId, 'model-fake', 'fake-key');
        return { botToken, webhookSecret };
      },
      stop: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Worker SDK logs at WARN (one Runtime per process: keep whichever was installed first). */
function installQuietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed by an earlier suite
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
