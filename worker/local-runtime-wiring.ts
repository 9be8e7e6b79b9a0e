/**
 * Builds the local runtime for the worker: launches are planned by
 * launch-planner.ts with the OpenClaw install of the tenant's version (from
 * the local cache), and runtime events (pod lost) reach the tenant workflows
 * as signals through the Temporal client. Secret values pass from the secret store
 * straight into the supervisor's environment, never into a workflow.
 */
import { EMBEDDED_AWS_CREDENTIALS } from '../common/aws-clients.js';
import type { WorkerConfig } from './worker-config.js';
import { gatewayBaseUrl, type Config } from '../common/config.js';
import type { LocalSandboxSettings } from '../local/sandbox/slot-sandboxes.js';
import { tierLimitsFrom } from '../local/sandbox/limits.js';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { msToNumber } from '@temporalio/common';
import { graceChain } from '../common/grace.js';
import type { Logger } from '../common/logger.js';
import { ensureOpenClaw, type OpenClawInstall } from '../dev/openclaw-install.js';
import { defaultCapacity } from '../runtime/capacity-gate.js';
import { LocalRuntime } from '../local/local-runtime.js';
import { StateSync } from '../supervisor/state-sync.js';
import type { DynamoRegistry } from '../registry/dynamo-registry.js';
import type { DynamoSecretStore } from '../registry/secret-store.js';
import type { SnapshotGrantIssuer } from '../snapshots/grant-issuer.js';
import type { S3SnapshotStore } from '../snapshots/s3-snapshot-store.js';
import { diskFullSignal, podLostSignal, tenantWorkflowId } from '../workflows/shared.js';
import { createLaunchPlanner } from './launch-planner.js';
import type { Drain } from '../runtime/driver.js';

export interface LocalWiringDeps {
  readonly config: WorkerConfig;
  readonly logger: Logger;
  readonly client: Client;
  readonly registry: DynamoRegistry;
  readonly secrets: DynamoSecretStore;
  readonly snapshots: S3SnapshotStore;
  readonly grants: SnapshotGrantIssuer;
  readonly drain: Drain;
  /** Where each OpenClaw version lives. @default the local cache, installed on first use (ensureOpenClaw) */
  readonly openclaw?: (version: string) => Promise<{
    node: string;
    entry: string;
  }>; /** Counts each lost pod reported to its workflow (the worker's metrics). */
  readonly onPodLost?: () => void;
}

export function createLocalRuntime(deps: LocalWiringDeps): LocalRuntime {
  const { config, logger, client, registry, secrets, snapshots } = deps;
  const installs = new Map<string, Promise<OpenClawInstall>>();
  // One install per version, shared by concurrent launches; a failed install is retried next time.
  const openclaw = (version: string) => {
    let install = installs.get(version);
    if (!install) {
      install = ensureOpenClaw({ cacheDir: config.common.cacheDir, version });
      installs.set(version, install);
      install.catch(() => installs.delete(version));
    }
    return install;
  };
  const signal = (tenantId: string) => client.workflow.getHandle(tenantWorkflowId(tenantId));

  const plan = createLaunchPlanner({
    config,
    registry,
    secrets,
    openclaw: deps.openclaw ?? openclaw,
    grants: deps.grants,
  });

  const runtime = new LocalRuntime({
    dataDir: resolve(config.common.dataDir), // the supervisors run with another working directory
    portBase: config.local.portBase,
    warmSupervisors: config.local.warmSupervisors,
    ...(config.local.sandbox === 'on' && { sandbox: sandboxSettings(config) }),
    capacity: defaultCapacity(config.local.maxTenants),
    capacityWaitMs: msToNumber(config.local.capacityWait),
    adoptWindowMs: msToNumber(config.local.adoptWindow),
    // The worker's supervisor client: it finds the token of a pod an earlier worker started (adopted) too.
    drain: deps.drain,
    stopGraceMs: graceChain(msToNumber(config.runtime.stopGrace)).runtimeStopMs,
    plan,
    logger: logger.child({ component: 'local-runtime' }),
    events: {
      podLost: async (tenantId, podId, reason) => {
        deps.onPodLost?.();
        await signal(tenantId).signal(podLostSignal, podId, reason);
      },
      diskFull: async (tenantId, podId, detail) => {
        await signal(tenantId).signal(diskFullSignal, podId, detail);
      },
    },
    // Saves, never records: the stop activity that asked for it moves the pointer.
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
  });
  // Idle supervisors ready for the first wake; a failure only means wakes start their supervisor cold.
  runtime.prewarm().catch((err: unknown) => logger.warn({ err }, 'no warm supervisors'));
  return runtime;
}

/**
 * The sandbox's settings: the operator's egress allowlist, plus the
 * platform's own model gateway and snapshot store, which a one-host
 * deployment runs on loopback and which every tenant must reach, and the
 * trace collector when tracing is on (supervisors export their spans to it);
 * each tier's limits (a bad value stops the worker at start, naming it).
 */
export function sandboxSettings(
  config: Pick<Config, 'local' | 'gateway' | 'aws' | 'telemetry'>,
): LocalSandboxSettings {
  const hostPort = (raw: string) => {
    const url = new URL(raw);
    return `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
  };
  const listed = config.local.sandboxEgressAllow
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const platform = [
    gatewayBaseUrl(config),
    ...(config.aws.s3Endpoint ? [config.aws.s3Endpoint] : []),
    ...(config.telemetry.otlpEndpoint ? [config.telemetry.otlpEndpoint] : []),
  ].map(hostPort);
  return {
    uidBase: config.local.sandboxUidBase,
    egressAllow: [...listed, ...platform],
    limits: tierLimitsFrom(config.local),
    ...(embeddedStoreGuard(config) ?? {}),
  };
}

/**
 * The embedded snapshot store (s3rver, plain HTTP, the stack's own static
 * credentials) checks no signature: the sandbox's egress to it passes only
 * presigned requests (local/sandbox/snapshot-egress.ts). A store over TLS, or
 * with other credentials (real S3, MinIO), checks signatures itself.
 */
function embeddedStoreGuard(config: Pick<Config, 'aws'>): Pick<LocalSandboxSettings, 'snapshotGuard'> | null {
  const endpoint = config.aws.s3Endpoint;
  if (!endpoint?.startsWith('http:') || config.aws.credentials !== 'embedded') return null;
  const url = new URL(endpoint);
  return {
    snapshotGuard: { name: `${url.hostname}:${url.port || 80}`, credentials: EMBEDDED_AWS_CREDENTIALS },
  };
}
