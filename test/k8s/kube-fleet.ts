/**
 * clawfleet end to end through Kubernetes: a real Temporal dev server,
 * redis-server, s3rver, dynalite, the worker's adapters with the Kubernetes
 * runtime and pod watcher against the real kube-apiserver, and the test
 * kubelet running each tenant pod as the real supervisor with real OpenClaw.
 * Only the LLM and Telegram's Bot API are fakes. The worker wiring here is
 * what `config.runtime === 'k8s'` should do in worker/adapters.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { TenantClient } from '../../client/tenant-client.js';
import { configToEnv, loadConfig, masterKeyPath, type Config } from '../../common/config.js';
import { FileMasterKey } from '../../common/crypto.js';
import { createRootLogger } from '../../common/logger.js';
import { ensureOpenClaw, PINNED_OPENCLAW } from '../../dev/openclaw-install.js';
import { startFakeLlm, type FakeLlm } from '../../fakes/fake-llm.js';
import { startFakeTelegram, type FakeTelegram } from '../../fakes/fake-telegram.js';
import { CredentialHasher } from '../../registry/credential-hash.js';
import { TenantCredentials } from '../../registry/credentials.js';
import { createDocumentClient } from '../../registry/document-client.js';
import { DynamoRegistry } from '../../registry/dynamo-registry.js';
import { DynamoSecretStore, SECRET_NAMES } from '../../registry/secret-store.js';
import { wireAdapters } from '../../worker/adapters.js';
import { startDynamo } from '../helpers/dynamo.js';
import { startTestRedis } from '../helpers/redis.js';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { createLocalEnv } from '../helpers/temporal.js';
import type { KubeRuntimeOptions } from '../../k8s/options.js';
import type { TenantTier } from '../../workflows/types.js';
import { freshNamespace, kubeCluster, testOptions } from './fixture.js';
import { TestKubelet } from './test-kubelet.js';

export interface KubeFleet {
  readonly config: Config;
  readonly client: Client;
  readonly tenants: TenantClient;
  readonly registry: DynamoRegistry;
  readonly llm: FakeLlm;
  readonly telegram: FakeTelegram;
  readonly s3: TestS3;
  readonly core: CoreV1Api;
  readonly namespace: string;
  registerTenant(tenantId: string, tier?: TenantTier): Promise<{ botToken: string }>;
  stop(): Promise<void>;
}

/** `options` go on top of the test settings, e.g. a warm pool (`{ warmPool: { standard: 1 } }`). */
export async function startKubeFleet(options: Partial<KubeRuntimeOptions> = {}): Promise<KubeFleet> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  };
  try {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // one Runtime per process: an earlier suite installed it
    }
    const base = loadConfig({});
    const install = await ensureOpenClaw({ cacheDir: base.cacheDir });
    const dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-kfleet-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const env = await createLocalEnv();
    cleanups.push(() => env.teardown());
    const [llm, telegram, s3, redis, dynamo] = await Promise.all([
      startFakeLlm(),
      startFakeTelegram(),
      startS3('kube-e2e'),
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
    const taskQueue = `kfleet-${randomBytes(3).toString('hex')}`;
    const config = loadConfig({
      ...configToEnv(base),
      ...configToEnv({
        dataDir,
        taskQueue,
        runtime: 'k8s',
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
        logLevel: 'warn',
      }),
    });
    const logger = createRootLogger({ level: 'warn', name: 'kube-fleet' });
    const doc = createDocumentClient(dynamo.client);
    const masterKey = await FileMasterKey.open(masterKeyPath(config), { create: true });
    const registry = new DynamoRegistry({ doc, tables: dynamo.tables });
    const secrets = new DynamoSecretStore({ doc, tables: dynamo.tables, masterKey });

    const { kubeConfig } = await kubeCluster();
    const namespace = await freshNamespace(kubeConfig, 'e2e');
    const kubelet = new TestKubelet(kubeConfig, namespace, {
      realSupervisors: { node: install.node, openclawEntry: install.entry },
    });
    await kubelet.start();
    cleanups.push(() => kubelet.stop());

    const tenants = new TenantClient({ client: env.client, taskQueue });
    // The worker's own wiring (`CLAWFLEET_RUNTIME=k8s`), pointed at the test cluster.
    const adapters = await wireAdapters(config, logger, env.client, {
      kube: {
        kubeConfig,
        options: testOptions(namespace, { terminationGraceSeconds: 40, readyTimeoutMs: 180_000, ...options }),
        resyncMs: 10_000,
      },
    });
    cleanups.push(() => adapters.close());
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: new URL('../../workflows/index.ts', import.meta.url).pathname,
      activities: createActivities(adapters.deps),
    });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
    });
    const hasher = await CredentialHasher.open({ doc, tables: dynamo.tables, masterKey });
    const credentials = new TenantCredentials({ registry, secrets, hasher });
    return {
      config,
      client: env.client,
      tenants,
      registry,
      llm,
      telegram,
      s3,
      core: kubeConfig.makeApiClient(CoreV1Api),
      namespace,
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
        await credentials.issueWebhookSecret(tenantId);
        await secrets.put(tenantId, 'model-fake', 'fake-key');
        return { botToken };
      },
      stop: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
