/**
 * What every whole-system fleet shares (the local one in test/local/fleet.ts,
 * the Kubernetes one in test/k8s/kube-fleet.ts): a Temporal dev server,
 * redis-server, s3rver, dynalite, the fake LLM and Telegram Bot API, a data
 * dir, a Config pointing at all of them, the registry and secret store, tenant
 * registration the way the admin API does it, and a worker over given
 * adapters. Cleanups run in reverse order of registration.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import {
  configToEnv,
  gatewayBaseUrl,
  loadConfig,
  masterKeyPath,
  modelApiKeyPath,
  type Config,
  type ConfigOverrides,
} from '../../common/config.js';
import { FileMasterKey } from '../../common/crypto.js';
import { ensureOpenClaw, PINNED_OPENCLAW, type OpenClawInstall } from '../../dev/openclaw-install.js';
import { startFakeLlm, type FakeLlm } from '../../fakes/fake-llm.js';
import { startFakeTelegram, type FakeTelegram } from '../../fakes/fake-telegram.js';
import { buildGatewayApp } from '../../gateway/app.js';
import { GatewayMetrics } from '../../gateway/metrics.js';
import type { GatewayServices } from '../../gateway/services.js';
import { wireGateway } from '../../gateway/wiring.js';
import { createRootLogger } from '../../common/logger.js';
import { freePort } from '../../dev/ports.js';
import { hotPathRedis } from '../../router/wiring.js';
import { openCredentialHasher } from '../../registry/platform-keys.js';
import { TenantCredentials } from '../../registry/credentials.js';
import { createDocumentClient } from '../../registry/document-client.js';
import { DynamoRegistry } from '../../registry/dynamo-registry.js';
import { DynamoSecretStore, SECRET_NAMES } from '../../registry/secret-store.js';
import type { WiredAdapters } from '../../worker/adapters.js';
import type { TenantTier } from '../../workflows/types.js';
import { startDynamo, type TestDynamo } from './dynamo.js';
import { startTestRedis, type TestRedis } from './redis.js';
import { startS3, type TestS3 } from './s3.js';
import { createLocalEnv } from './temporal.js';

export interface FleetBase {
  readonly env: TestWorkflowEnvironment;
  readonly config: Config;
  readonly dataDir: string;
  readonly install: OpenClawInstall;
  readonly llm: FakeLlm;
  readonly telegram: FakeTelegram;
  readonly s3: TestS3;
  readonly redis: TestRedis;
  readonly dynamo: TestDynamo;
  readonly registry: DynamoRegistry;
  readonly secrets: DynamoSecretStore;
  readonly masterKey: FileMasterKey;
  /** The model gateway every tenant agent calls (in this process, on the loopback port in the config). */
  readonly gateway: { readonly url: string; readonly services: GatewayServices };
  /** The platform provider key the gateway presents upstream (in the platform key file). */
  readonly platformModelKey: string;
  /** Runs at `cleanup`, after everything registered later. */
  onCleanup(fn: () => Promise<unknown>): void;
  cleanup(): Promise<void>;
  /** A tenant in the registry with Telegram on and every secret it needs. */
  registerTenant(tenantId: string, tier?: TenantTier): Promise<{ botToken: string; webhookSecret: string }>;
  /** A Temporal worker on the fleet's task queue over `adapters`; stopped (then `adapters` closed) at cleanup. */
  runWorker(
    adapters: WiredAdapters,
    options?: Omit<WorkerOptions, 'connection' | 'taskQueue' | 'workflowsPath' | 'activities'>,
  ): Promise<void>;
}

/** `settings` go on top of what points the config at the fleet's servers (runtime, ports, log level...). */
export async function startFleetBase(name: string, settings: ConfigOverrides = {}): Promise<FleetBase> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  };
  try {
    installQuietRuntime();
    const base = loadConfig({});
    const install = await ensureOpenClaw({ cacheDir: base.common.cacheDir });
    const dataDir = await mkdtemp(join(tmpdir(), `clawfleet-${name}-`));
    // CLAWFLEET_KEEP_TEST_DATA=1 keeps tenant logs and state for a post-mortem.
    if (!process.env['CLAWFLEET_KEEP_TEST_DATA'])
      cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    else console.log(`    [${name}] data dir kept: ${dataDir}`);
    const env = await createLocalEnv();
    cleanups.push(() => env.teardown());
    const [llm, telegram, s3, redis, dynamo] = await Promise.all([
      startFakeLlm(),
      startFakeTelegram(),
      startS3(`${name}-e2e`),
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
    const taskQueue = `${name}-${randomBytes(3).toString('hex')}`;
    const config = loadConfig({
      ...configToEnv(base),
      ...configToEnv({
        common: { dataDir, logLevel: 'warn' },
        temporal: { taskQueue },
        redis: { url: redis.url },
        aws: {
          s3Endpoint: s3.endpoint,
          s3Bucket: s3.bucket,
          dynamodbEndpoint: dynamo.endpoint,
          tablePrefix: dynamo.tables.tenants.replace(/tenants$/, ''),
        },
        model: { provider: 'fake', baseUrl: llm.url, id: 'fake-model' },
        gateway: { host: '127.0.0.1', port: await freePort() },
        telegram: { apiRoot: telegram.url },
        router: { publicUrl: 'http://127.0.0.1:9/unused' }, // deliveries come through the workflow here
      }),
      ...configToEnv(settings),
      // The fakes on loopback, by name, and whatever else the caller's tenants must reach.
      ...configToEnv({
        local: {
          sandboxEgressAllow: [new URL(telegram.url).host, settings.local?.sandboxEgressAllow]
            .filter(Boolean)
            .join(','),
        },
      }),
    });
    const doc = createDocumentClient(dynamo.client);
    const masterKey = await FileMasterKey.open(masterKeyPath(config), { create: true });
    const registry = new DynamoRegistry({ doc, tables: dynamo.tables });
    const secrets = new DynamoSecretStore({ doc, tables: dynamo.tables, masterKey });
    const hasher = await openCredentialHasher({ doc, tables: dynamo.tables, masterKey });
    const credentials = new TenantCredentials({ registry, secrets, hasher });
    const gateway = await startGateway(config, dynamo, secrets, env.client);
    cleanups.push(() => gateway.close());
    return {
      env,
      config,
      dataDir,
      install,
      llm,
      telegram,
      s3,
      redis,
      dynamo,
      registry,
      secrets,
      masterKey,
      gateway,
      platformModelKey: PLATFORM_MODEL_KEY,
      onCleanup: (fn) => cleanups.push(fn),
      cleanup,
      async registerTenant(tenantId, tier = 'standard') {
        const botToken = `${100000 + Math.floor(Math.random() * 800000)}:fake-${tenantId}`;
        await registry.create({
          tenantId,
          displayName: tenantId,
          tier,
          openclawVersion: PINNED_OPENCLAW,
          channels: { telegram: { enabled: true } },
        });
        await secrets.put(tenantId, SECRET_NAMES.telegramBotToken, botToken);
        // Issued the way the admin API does it: stored encrypted, its hash on the record for the router.
        await credentials.issueWebhookSecret(tenantId);
        const webhookSecret = await secrets.resolve(tenantId, SECRET_NAMES.telegramWebhookSecret);
        return { botToken, webhookSecret };
      },
      async runWorker(adapters, options = {}) {
        const worker = await Worker.create({
          connection: env.nativeConnection,
          taskQueue,
          workflowsPath: new URL('../../workflows/index.ts', import.meta.url).pathname,
          activities: createActivities(adapters.deps),
          ...options,
        });
        const running = worker.run();
        // Stop order: the worker first (in-flight activities finish), then the adapters (tenants drain).
        cleanups.push(async () => {
          worker.shutdown();
          await running;
          await adapters.close();
        });
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

const PLATFORM_MODEL_KEY = 'sk-fleet-platform-key';

/** The model gateway on the config's gateway port, with the platform key file it reads. */
async function startGateway(
  config: Config,
  dynamo: TestDynamo,
  secrets: DynamoSecretStore,
  temporal: Client,
) {
  const keyFile = modelApiKeyPath(config);
  await mkdir(dirname(keyFile), { recursive: true, mode: 0o700 });
  await writeFile(keyFile, `${PLATFORM_MODEL_KEY}\n`, { mode: 0o600 });
  const redis = hotPathRedis(config.redis.url);
  await redis.connect();
  const logger = createRootLogger({ level: 'warn', name: 'fleet-gateway' });
  const wired = wireGateway({
    redis,
    doc: dynamo.doc,
    tables: dynamo.tables,
    secrets,
    settings: config,
    logger,
    metrics: new GatewayMetrics(),
    temporal,
  });
  const app = buildGatewayApp(wired.services);
  await app.listen({ host: config.gateway.host, port: config.gateway.port });
  return {
    url: gatewayBaseUrl(config),
    services: wired.services,
    close: async () => {
      await app.close();
      await wired.close();
      redis.disconnect();
    },
  };
}

/** Worker SDK logs at WARN (one Runtime per process: keep whichever was installed first). */
function installQuietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed by an earlier suite
  }
}
