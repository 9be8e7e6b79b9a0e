/**
 * clawfleet end to end through Kubernetes: a real Temporal dev server,
 * redis-server, s3rver, dynalite, the worker's adapters with the Kubernetes
 * runtime and pod watcher against the real kube-apiserver, and the test
 * kubelet running each tenant pod as the real supervisor with real OpenClaw.
 * Only the LLM and Telegram's Bot API are fakes. The worker wiring here is
 * what `config.runtime === 'k8s'` should do in worker/adapters.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { PermanentPortError } from '../../activities/errors.js';
import { createActivities } from '../../activities/index.js';
import { TenantClient } from '../../client/tenant-client.js';
import { EMBEDDED_AWS_CREDENTIALS } from '../../common/aws-clients.js';
import { configToEnv, loadConfig, masterKeyPath, modelApiKeyPath, type Config } from '../../common/config.js';
import { FileMasterKey } from '../../common/crypto.js';
import { createRootLogger } from '../../common/logger.js';
import { ensureOpenClaw, PINNED_OPENCLAW } from '../../dev/openclaw-install.js';
import { startFakeLlm, type FakeLlm } from '../../fakes/fake-llm.js';
import { startFakeTelegram, type FakeTelegram } from '../../fakes/fake-telegram.js';
import { AGENT_LAYOUT, createKubernetesRuntime, type PlanLaunch } from '../../k8s/index.js';
import { SupervisorAgentClient } from '../../pod/agent-client.js';
import { buildLaunchPlan } from '../../pod/launch-plan.js';
import { CredentialHasher } from '../../registry/credential-hash.js';
import { TenantCredentials } from '../../registry/credentials.js';
import { createDocumentClient } from '../../registry/document-client.js';
import { DynamoRegistry } from '../../registry/dynamo-registry.js';
import { DynamoSecretStore, SECRET_NAMES } from '../../registry/secret-store.js';
import { wireAdapters, tenantOfPod } from '../../worker/adapters.js';
import { podLostSignal, tenantWorkflowId } from '../../workflows/shared.js';
import { startDynamo } from '../helpers/dynamo.js';
import { startTestRedis } from '../helpers/redis.js';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { createLocalEnv } from '../helpers/temporal.js';
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
  registerTenant(tenantId: string): Promise<{ botToken: string }>;
  stop(): Promise<void>;
}

export async function startKubeFleet(): Promise<KubeFleet> {
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

    const plan: PlanLaunch = async (pod, placement, rootDir) => {
      const tenant = await registry.get(pod.tenantId);
      if (!tenant) throw new PermanentPortError('TENANT_NOT_REGISTERED', `tenant ${pod.tenantId} unknown`);
      await secrets.ensureDerived(pod.tenantId);
      return buildLaunchPlan({
        pod,
        tenant,
        placement,
        rootDir,
        platform: {
          openclaw: { node: AGENT_LAYOUT.node, entry: AGENT_LAYOUT.openclawEntry },
          model: { provider: config.modelProvider, baseUrl: config.modelBaseUrl, modelId: config.modelId },
          platformModelApiKey: async () =>
            (await readFile(modelApiKeyPath(config), 'utf8').catch(() => '')).trim() || null,
          telegramApiRoot: config.telegramApiRoot,
          publicUrl: config.publicUrl,
          snapshots: {
            bucket: config.s3Bucket,
            region: config.awsRegion,
            endpoint: config.s3Endpoint,
            masterKeyFile: resolve(masterKeyPath(config)),
            credentials: EMBEDDED_AWS_CREDENTIALS,
          },
          logLevel: 'warn',
          shutdownGraceMs: 30_000,
        },
        resolveSecret: (name) => secrets.resolveIfPresent(pod.tenantId, name),
      });
    };
    const tenants = new TenantClient({ client: env.client, taskQueue });
    const kube = await createKubernetesRuntime(config, {
      logger,
      plan,
      kubeConfig,
      options: testOptions(namespace, { terminationGraceSeconds: 40, readyTimeoutMs: 180_000 }),
      resyncMs: 10_000,
      onPodLost: async (tenantId, podId, reason) => {
        await env.client.workflow.getHandle(tenantWorkflowId(tenantId)).signal(podLostSignal, podId, reason);
      },
      isPodWanted: async (tenantId, podId) => {
        const described = await tenants.describe(tenantId).catch(() => null);
        const awake = ['waking', 'running', 'draining'].includes(described?.phase ?? '');
        return awake && `${tenantId}-${described!.generation}` === podId;
      },
    });
    cleanups.push(() => kube.close());

    const adapters = await wireAdapters(config, logger, env.client);
    cleanups.push(() => adapters.close());
    const token = (handle: { podId: string }) =>
      secrets.resolve(tenantOfPod(handle.podId), SECRET_NAMES.supervisorToken);
    const deps = { ...adapters.deps, runtime: kube.runtime, agent: new SupervisorAgentClient({ token }) };
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: new URL('../../workflows/index.ts', import.meta.url).pathname,
      activities: createActivities(deps),
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
