/**
 * Builds the local runtime for the worker: where each launch gets its agent
 * config (registry record, secrets, platform settings, the OpenClaw install of
 * the tenant's version) and how runtime events reach the tenant workflows
 * (signals through the Temporal client). Secret values pass from the secret
 * store straight into the supervisor's environment, never into a workflow.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { PermanentPortError } from '../activities/errors.js';
import type { PodSpec } from '../activities/ports.js';
import { EMBEDDED_AWS_CREDENTIALS } from '../common/aws-clients.js';
import { masterKeyPath, modelApiKeyPath, type Config } from '../common/config.js';
import type { Logger } from '../common/logger.js';
import { ensureOpenClaw, type OpenClawInstall } from '../dev/openclaw-install.js';
import { defaultCapacity } from '../local/capacity-gate.js';
import { LocalRuntime } from '../local/local-runtime.js';
import { buildLaunchPlan, type Placement, type PlatformAgentSettings } from '../pod/launch-plan.js';
import { StateSync } from '../pod/state-sync.js';
import type { DynamoRegistry } from '../registry/dynamo-registry.js';
import type { DynamoSecretStore } from '../registry/secret-store.js';
import type { S3SnapshotStore } from '../snapshots/s3-snapshot-store.js';
import { podLostSignal, sleepNowSignal, tenantWorkflowId } from '../workflows/shared.js';

export interface LocalWiringDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly client: Client;
  readonly registry: DynamoRegistry;
  readonly secrets: DynamoSecretStore;
  readonly snapshots: S3SnapshotStore;
}

export function createLocalRuntime(deps: LocalWiringDeps): LocalRuntime {
  const { config, logger, client, registry, secrets, snapshots } = deps;
  const installs = new Map<string, Promise<OpenClawInstall>>();
  // One install per version, shared by concurrent launches; a failed install is retried next time.
  const openclaw = (version: string) => {
    let install = installs.get(version);
    if (!install) {
      install = ensureOpenClaw({ cacheDir: config.cacheDir, version });
      installs.set(version, install);
      install.catch(() => installs.delete(version));
    }
    return install;
  };
  const signal = (tenantId: string) => client.workflow.getHandle(tenantWorkflowId(tenantId));

  const plan = async (pod: PodSpec, placement: Placement, rootDir: string) => {
    const tenant = await registry.get(pod.tenantId);
    if (!tenant)
      throw new PermanentPortError('TENANT_NOT_REGISTERED', `tenant ${pod.tenantId} is not in the registry`);
    await secrets.ensureDerived(pod.tenantId);
    const install = await openclaw(pod.openclawVersion).catch((err: unknown) => {
      throw new PermanentPortError(
        'OPENCLAW_UNAVAILABLE',
        `OpenClaw ${pod.openclawVersion}: ${(err as Error).message}`,
      );
    });
    return buildLaunchPlan({
      pod,
      tenant,
      placement,
      rootDir,
      platform: platformSettings(config, install),
      resolveSecret: (name) => secrets.resolveIfPresent(pod.tenantId, name),
    });
  };

  return new LocalRuntime({
    dataDir: resolve(config.dataDir), // the supervisors run with another working directory
    portBase: config.localPortBase,
    capacity: defaultCapacity(config.localMaxTenants),
    plan,
    logger: logger.child({ component: 'local-runtime' }),
    hooks: {
      podLost: async (tenantId, podId, reason) => {
        await signal(tenantId).signal(podLostSignal, podId, reason);
      },
      requestSleep: async (tenantId) => {
        await signal(tenantId).signal(sleepNowSignal);
      },
      snapshotTaken: (tenantId, manifest) => registry.advanceSnapshotPointer(tenantId, manifest.seq),
      salvage: async (tenantId, rootDir, openclawVersion) => {
        const record = await registry.get(tenantId);
        const sync = new StateSync({
          store: snapshots,
          tenantId,
          stateDir: join(rootDir, 'state'),
          workDir: join(rootDir, 'work'),
          openclawVersion,
          ...(record?.latestSnapshotSeq ? { latestSeq: record.latestSnapshotSeq } : {}),
          logger: logger.child({ component: 'salvage', tenantId }),
        });
        return sync.snapshotStopped();
      },
    },
  });
}

function platformSettings(config: Config, install: OpenClawInstall): PlatformAgentSettings {
  return {
    openclaw: { node: install.node, entry: install.entry },
    model: { provider: config.modelProvider, baseUrl: config.modelBaseUrl, modelId: config.modelId },
    platformModelApiKey: async () =>
      (await readFile(resolve(modelApiKeyPath(config)), 'utf8').catch(() => '')).trim() || null,
    telegramApiRoot: config.telegramApiRoot,
    publicUrl: config.publicUrl,
    snapshots: {
      bucket: config.s3Bucket,
      region: config.awsRegion,
      ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
      masterKeyFile: resolve(masterKeyPath(config)),
      ...(config.awsCredentials === 'embedded' ? { credentials: EMBEDDED_AWS_CREDENTIALS } : {}),
    },
    logLevel: config.logLevel === 'silent' ? 'warn' : config.logLevel,
    shutdownGraceMs: 30_000,
  };
}
