/**
 * clawfleet end to end through Kubernetes: a real Temporal dev server,
 * redis-server, s3rver, dynalite, the worker's adapters with the Kubernetes
 * runtime and pod watcher against the real kube-apiserver, and the test
 * kubelet running each tenant pod as the real supervisor with real OpenClaw.
 * Only the LLM and Telegram's Bot API are fakes. The worker wiring here is
 * what `config.runtime.kind === 'k8s'` does in worker/adapters.ts.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { TenantClient } from '../../client/tenant-client.js';
import type { Config } from '../../common/config.js';
import { createRootLogger } from '../../common/logger.js';
import type { FakeLlm } from '../../fakes/fake-llm.js';
import type { FakeTelegram } from '../../fakes/fake-telegram.js';
import type { KubeRuntimeOptions } from '../../k8s/options.js';
import type { DynamoRegistry } from '../../registry/dynamo-registry.js';
import { wireAdapters } from '../../worker/adapters.js';
import type { TenantTier } from '../../workflows/types.js';
import { startFleetBase } from '../helpers/fleet-base.js';
import type { TestS3 } from '../helpers/s3.js';
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
  const base = await startFleetBase('kfleet', { runtime: { kind: 'k8s' } });
  try {
    const { config, env, install } = base;
    const logger = createRootLogger({ level: 'warn', name: 'kube-fleet' });
    const { kubeConfig } = await kubeCluster();
    const namespace = await freshNamespace(kubeConfig, 'e2e');
    const kubelet = new TestKubelet(kubeConfig, namespace, {
      realSupervisors: { node: install.node, openclawEntry: install.entry },
    });
    await kubelet.start();
    base.onCleanup(() => kubelet.stop());
    // The worker's own wiring (`CLAWFLEET_RUNTIME=k8s`), pointed at the test cluster.
    const adapters = await wireAdapters(config, logger, env.client, {
      kube: {
        kubeConfig,
        options: testOptions(namespace, { terminationGraceSeconds: 40, readyTimeoutMs: 180_000, ...options }),
        resyncMs: 10_000,
      },
    });
    await base.runWorker(adapters);
    return {
      config,
      client: env.client,
      tenants: new TenantClient({ client: env.client, taskQueue: config.temporal.taskQueue }),
      registry: base.registry,
      llm: base.llm,
      telegram: base.telegram,
      s3: base.s3,
      core: kubeConfig.makeApiClient(CoreV1Api),
      namespace,
      registerTenant: (tenantId, tier) => base.registerTenant(tenantId, tier),
      stop: () => base.cleanup(),
    };
  } catch (error) {
    await base.cleanup();
    throw error;
  }
}
