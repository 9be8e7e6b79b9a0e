/**
 * Where every launch gets its agent config, whatever the runtime: the tenant's
 * registry record, its secrets (derived tokens created on first use) and the
 * platform settings from the worker's Config. Runtimes differ only in where
 * OpenClaw lives (the local cache, or fixed paths in the agent image).
 */
import type { WorkerConfig } from './worker-config.js';
import { PermanentPortError } from '../activities/errors.js';
import type { PodSpec } from '../activities/ports.js';
import { msToNumber } from '@temporalio/common';
import { gatewayBaseUrl } from '../common/config.js';
import { graceChain } from '../common/grace.js';
import { buildLaunchPlan, type LaunchPlan, type Placement } from '../runtime/launch-plan.js';
import type { DynamoRegistry } from '../registry/dynamo-registry.js';
import type { DynamoSecretStore } from '../registry/secret-store.js';
import type { SnapshotGrantIssuer } from '../snapshots/grant-issuer.js';

export type LaunchPlanner = (pod: PodSpec, placement: Placement, rootDir: string) => Promise<LaunchPlan>;

export interface LaunchPlannerDeps {
  readonly config: WorkerConfig;
  readonly registry: DynamoRegistry;
  readonly secrets: DynamoSecretStore;
  /** The Node binary and OpenClaw entry script for this version, as the supervisor will see them. */
  readonly openclaw: (version: string) => Promise<{ node: string; entry: string }>;
  /** Issues the tenant's snapshot grant (presigned URLs, its own data keys). */
  readonly grants: SnapshotGrantIssuer;
}

export function createLaunchPlanner(deps: LaunchPlannerDeps): LaunchPlanner {
  const { config, registry, secrets } = deps;
  return async (pod, placement, rootDir) => {
    const tenant = await registry.get(pod.tenantId);
    if (!tenant)
      throw new PermanentPortError('TENANT_NOT_REGISTERED', `tenant ${pod.tenantId} is not in the registry`);
    // Independent look-ups run together: every millisecond here is on the cold-wake path.
    const [, openclaw] = await Promise.all([
      secrets.ensureDerived(pod.tenantId),
      deps.openclaw(pod.openclawVersion).catch((err: unknown) => {
        throw new PermanentPortError(
          'OPENCLAW_UNAVAILABLE',
          `OpenClaw ${pod.openclawVersion}: ${(err as Error).message}`,
        );
      }),
    ]);
    return buildLaunchPlan({
      pod,
      tenant,
      placement,
      rootDir,
      platform: {
        openclaw,
        model: {
          provider: config.model.provider,
          gatewayUrl: gatewayBaseUrl(config),
          modelId: config.model.id,
        },
        telegramApiRoot: config.telegram.apiRoot,
        publicUrl: config.router.publicUrl,
        snapshotGrant: async (tenantId, latestSeq) =>
          JSON.stringify(await deps.grants.issue(tenantId, { latestSeq })),
        forwardKey: (tenantId) => secrets.forwardKey(tenantId),
        logLevel: config.common.logLevel === 'silent' ? 'warn' : config.common.logLevel,
        otlpEndpoint: config.telemetry.otlpEndpoint,
        grace: graceChain(msToNumber(config.runtime.stopGrace)),
        recycleRssMb: config.runtime.recycleRssMb,
      },
      resolveSecret: (name) => secrets.resolveIfPresent(pod.tenantId, name),
    });
  };
}
