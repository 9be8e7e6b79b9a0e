/**
 * Builds the Kubernetes runtime for the worker (`CLAWFLEET_RUNTIME=k8s`):
 * launches are planned by launch-planner.ts with OpenClaw at its fixed place
 * in the agent image, and the pod watcher's reports reach the tenant
 * workflows as `podLost` signals.
 */
import type { WorkerConfig } from './worker-config.js';
import type { Client } from '@temporalio/client';
import type { Logger } from '../common/logger.js';
import {
  AGENT_LAYOUT,
  createKubernetesRuntime,
  type KubernetesRuntimeDeps,
  type KubernetesRuntimeHandle,
} from '../k8s/index.js';
import type { DynamoRegistry } from '../registry/dynamo-registry.js';
import type { DynamoSecretStore } from '../registry/secret-store.js';
import { podLostSignal, tenantWorkflowId } from '../workflows/shared.js';
import type { SnapshotGrantIssuer } from '../snapshots/grant-issuer.js';
import type { SupervisorAgentClient } from '../runtime/supervisor-client.js';
import { createLaunchPlanner } from './launch-planner.js';

/** What tests (or an unusual cluster) may set on top of the configuration. */
export type KubeOverrides = Pick<KubernetesRuntimeDeps, 'kubeConfig' | 'options' | 'resyncMs'>;

export interface KubeWiringDeps {
  readonly config: WorkerConfig;
  readonly logger: Logger;
  readonly client: Client;
  readonly registry: DynamoRegistry;
  readonly secrets: DynamoSecretStore;
  readonly grants: SnapshotGrantIssuer;
  readonly supervisor: SupervisorAgentClient;
  readonly overrides?: KubeOverrides; /** Counts each lost pod reported to its workflow (the worker's metrics). */
  readonly onPodLost?: () => void;
}

export function createKubeRuntime(deps: KubeWiringDeps): Promise<KubernetesRuntimeHandle> {
  const { config, client, registry, secrets } = deps;
  const image = { node: AGENT_LAYOUT.node, entry: AGENT_LAYOUT.openclawEntry };
  const workflow = (tenantId: string) => client.workflow.getHandle(tenantWorkflowId(tenantId));
  return createKubernetesRuntime(config, {
    ...deps.overrides,
    logger: deps.logger,
    drain: (handle, options) => deps.supervisor.drain(handle, options),
    plan: createLaunchPlanner({
      config,
      registry,
      secrets,
      grants: deps.grants,
      openclaw: () => Promise.resolve(image),
    }),
    events: {
      podLost: async (tenantId, podId, reason) => {
        deps.onPodLost?.();
        await workflow(tenantId).signal(podLostSignal, podId, reason);
      },
    },
  });
}
