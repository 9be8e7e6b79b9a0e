/**
 * Wires the real adapters behind the activity ports from configuration:
 * S3 snapshots, the DynamoDB registry and secret store, the Redis endpoint
 * cache, the Telegram Bot API, and the tenant runtime with the supervisor client. Returns them with
 * one `close()` that stops the runtime's tenants first.
 */
import type { WorkerConfig } from './worker-config.js';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Client } from '@temporalio/client';
import { msToNumber } from '@temporalio/common';
import { Redis } from 'ioredis';
import type { FleetPort } from '../activities/fleet.js';
import type { ActivityDeps, RuntimePort } from '../activities/ports.js';
import { createDynamoClient, createS3Client, createS3Presigner } from '../common/aws-clients.js';
import { masterKeyPath } from '../common/config.js';
import { graceChain } from '../common/grace.js';
import { parseTierQuotas } from '../common/quotas.js';
import { FileMasterKey } from '../common/crypto.js';
import type { Logger } from '../common/logger.js';
import { RedisEndpointCache } from '../endpoints/redis-endpoint-cache.js';
import type { LocalRuntime } from '../local/local-runtime.js';
import { SupervisorAgentClient } from '../runtime/supervisor-client.js';
import { TenantCredentials } from '../registry/credentials.js';
import { DynamoRegistry } from '../registry/dynamo-registry.js';
import { openCredentialHasher } from '../registry/platform-keys.js';
import { DynamoSecretStore, SECRET_NAMES } from '../registry/secret-store.js';
import { tableNames } from '../registry/tables.js';
import { SnapshotGrantIssuer } from '../snapshots/grant-issuer.js';
import { S3SnapshotStore } from '../snapshots/s3-snapshot-store.js';
import { SnapshotStorePort } from '../snapshots/snapshot-store-port.js';
import { TelegramBotApi } from '../telegram/bot-api.js';
import { TenantWebhooks } from '../telegram/tenant-webhooks.js';
import type { PodHandle } from '../workflows/types.js';
import { ensureOpenClaw } from '../dev/openclaw-install.js';
import { FleetAdapter } from './fleet-adapter.js';
import { WorkerMetrics } from './metrics.js';
import { createKubeRuntime, type KubeOverrides } from './kube-runtime-wiring.js';
import { createLocalRuntime, type LocalWiringDeps } from './local-runtime-wiring.js';
import { OrphanSweep, wantedByWorkflow } from './orphan-sweep.js';
import { tenantOfPod } from '../runtime/pod-lifecycle.js';

export interface WiredAdapters {
  readonly deps: ActivityDeps;
  /** What the activities and the runtime count; main.ts serves it. */
  readonly metrics: WorkerMetrics;
  /** What the fleet upgrade activities act on. */
  readonly fleet: FleetPort;
  /** The local runtime when `config.runtime.kind` is `local` (for start-up reconciliation and tests). */
  readonly localRuntime: LocalRuntime | null;
  /** Pods of local tenants this worker adopted at start, left serving by the worker before it. */
  readonly adoptedPods: readonly string[];
  close(options?: CloseOptions): Promise<void>;
}

export interface CloseOptions {
  /** Leave local tenants serving for the next worker (a planned restart) instead of draining them. */
  readonly handOver?: boolean;
}

export async function wireAdapters(
  config: WorkerConfig,
  logger: Logger,
  client: Client,
  overrides: { kube?: KubeOverrides; openclaw?: LocalWiringDeps['openclaw']; metrics?: WorkerMetrics } = {},
): Promise<WiredAdapters> {
  const metrics = overrides.metrics ?? new WorkerMetrics();
  const onPodLost = () => metrics.podsLost.inc();
  const s3 = createS3Client(config);
  const dynamo = createDynamoClient(config);
  const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 3 });
  redis.on('error', (error) => logger.warn({ err: error }, 'redis error'));
  const masterKey = await FileMasterKey.open(masterKeyPath(config), { create: true });
  const tables = tableNames(config.aws.tablePrefix);
  const snapshotStore = new S3SnapshotStore({
    s3,
    bucket: config.aws.s3Bucket,
    masterKey,
    logger: logger.child({ component: 'snapshots' }),
  });
  const presigner = createS3Presigner(config);
  const grants = new SnapshotGrantIssuer({ presigner, bucket: config.aws.s3Bucket, store: snapshotStore });
  const registry = new DynamoRegistry({ doc, tables });
  const secrets = new DynamoSecretStore({ doc, tables, masterKey });
  // The Telegram registration confirms a webhook secret by dropping older hashes: that takes the pepper.
  const hasher = await openCredentialHasher({ doc, tables, masterKey });
  const telegram = new TenantWebhooks({
    api: new TelegramBotApi({ apiRoot: config.telegram.apiRoot }),
    secrets,
    credentials: new TenantCredentials({ registry, secrets, hasher }),
    publicUrl: config.router.publicUrl,
    registry,
  });

  // Tokens of pods this worker launched locally are in memory; any other comes from the secret store.
  let localRuntime: LocalRuntime | null = null;
  let adoptedPods: string[] = [];
  const token = async (handle: PodHandle) =>
    localRuntime?.tokenFor(handle) ??
    (await secrets.resolve(tenantOfPod(handle.podId), SECRET_NAMES.supervisorToken));
  const agent = new SupervisorAgentClient({
    token,
    snapshotGrant: (handle) => grants.issue(tenantOfPod(handle.podId)),
  });
  let runtime: RuntimePort;
  let closeRuntime = (_options: CloseOptions) => Promise.resolve();
  if (config.runtime.kind === 'local') {
    localRuntime = createLocalRuntime({
      config,
      logger,
      client,
      registry,
      secrets,
      snapshots: snapshotStore,
      grants,
      drain: (handle, options) => agent.drain(handle, options),
      ...(overrides.openclaw && { openclaw: overrides.openclaw }),
      onPodLost,
    });
    adoptedPods = await localRuntime.adoptRunning();
    runtime = localRuntime;
    closeRuntime = ({ handOver }) => (handOver ? localRuntime!.handOver() : localRuntime!.close());
    logger.info({ capacity: localRuntime.maxTenants }, 'local runtime ready');
  } else {
    const kube = await createKubeRuntime({
      config,
      logger,
      client,
      registry,
      secrets,
      grants,
      supervisor: agent,
      onPodLost,
      ...(overrides.kube ? { overrides: overrides.kube } : {}),
    });
    runtime = kube.runtime;
    closeRuntime = () => kube.close(); // pods keep running: their workflows own them
    logger.info({ namespace: kube.options.namespace }, 'kubernetes runtime ready');
  }
  // Pods no workflow wants (a reset or terminated workflow) are stopped from here, above the runtime.
  const stopSweep = new OrphanSweep({
    runtime,
    isWanted: wantedByWorkflow(client),
    logger: logger.child({ component: 'orphan-sweep' }),
    stopGraceMs: graceChain(msToNumber(config.runtime.stopGrace)).runtimeStopMs,
  }).every(60_000);
  return {
    deps: {
      settings: {
        snapshotRetention: config.runtime.snapshotRetention,
        tierQuotas: parseTierQuotas(config.model.tierQuotas),
        stopWaitMs: graceChain(msToNumber(config.runtime.stopGrace)).runtimeStopMs,
        deepSleepAfterMs: msToNumber(config.runtime.deepSleepAfter),
      },
      runtime,
      agent,
      snapshots: new SnapshotStorePort(snapshotStore),
      registry,
      endpoints: new RedisEndpointCache(redis),
      secrets,
      telegram,
      metrics,
    },
    fleet: new FleetAdapter({
      registry,
      client,
      taskQueue: config.temporal.taskQueue,
      // Local: next to the versions already in the cache. Kubernetes: the agent image carries OpenClaw.
      install:
        config.runtime.kind === 'local'
          ? async (version) => void (await ensureOpenClaw({ cacheDir: config.common.cacheDir, version }))
          : (version) =>
              Promise.resolve(
                logger.warn({ version }, 'kubernetes: the agent image must carry this OpenClaw version'),
              ),
    }),
    metrics,
    localRuntime,
    adoptedPods,
    close: async (options = {}) => {
      stopSweep();
      await closeRuntime(options);
      await redis.quit().catch(() => redis.disconnect());
      s3.destroy();
      presigner.destroy();
      dynamo.destroy();
    },
  };
}
