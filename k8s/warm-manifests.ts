/**
 * The warm pool's objects, one set per tier: a Deployment of generic
 * supervisor pods (`supervisor/main.ts --warm`) whose selector includes
 * `clawfleet.io/pool=warm`, and the pool's Secret (claim token + warm.json).
 * A claim relabels a pod `pool=claimed`, so the ReplicaSet controller
 * releases it (drops its owner reference) and starts a replacement: the pool
 * refills itself without any loop of ours.
 */
import type { V1Deployment, V1Secret } from '@kubernetes/client-node';
import type { WarmConfig } from '../supervisor/warm-config.js';
import type { TenantTier } from '../workflows/types.js';
import { AGENT_LAYOUT, type KubeRuntimeOptions } from './options.js';
import { AGENT_APP, agentPod, LABELS } from './pod-manifest.js';

/** Name of a tier's Deployment and of its Secret. */
export function warmPoolName(tier: TenantTier): string {
  return `clawfleet-warm-${tier}`;
}

export function warmSelector(tier: TenantTier): Record<string, string> {
  return { [LABELS.name]: AGENT_APP, [LABELS.tier]: tier, [LABELS.pool]: 'warm' };
}

export function warmDeployment(
  options: KubeRuntimeOptions,
  tier: TenantTier,
  replicas: number,
): V1Deployment {
  const pod = agentPod(options, {
    tier,
    labels: { [LABELS.pool]: 'warm' },
    annotations: {},
    secretName: warmPoolName(tier),
    args: ['--warm', AGENT_LAYOUT.warmConfigFile],
    priorityClassName: options.warmPriorityClassName,
    // A Deployment's template must say Always; a claimed pod that restarts comes back warm and
    // unclaimable, so the watcher reports a restart of a claimed pod as lost (pod-watcher.ts).
    restartPolicy: 'Always',
    // `started` = the warm server listens: what makes a pod claimable (its /readyz stays 503 until a tenant is ready).
    startupProbe: {
      httpGet: { path: '/healthz', port: 'supervisor' },
      periodSeconds: 1,
      failureThreshold: 120,
    },
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: warmPoolName(tier),
      namespace: options.namespace,
      labels: { [LABELS.name]: AGENT_APP, [LABELS.tier]: tier },
    },
    spec: {
      replicas,
      selector: { matchLabels: warmSelector(tier) },
      template: { metadata: { labels: pod.metadata!.labels! }, spec: pod.spec! },
    },
  };
}

/** What a warm pod reads from `warm.json`: the agent image's layout, listening on every pod address. */
export function warmPodConfig(): WarmConfig {
  return {
    listen: { host: '0.0.0.0', port: AGENT_LAYOUT.supervisorPort },
    claimTokenFile: AGENT_LAYOUT.claimTokenFile,
    pod: {
      rootDir: AGENT_LAYOUT.rootDir,
      gatewayHost: '127.0.0.1',
      openclaw: { node: AGENT_LAYOUT.node, entry: AGENT_LAYOUT.openclawEntry },
    },
    logLevel: 'info',
  };
}

/** The pool's Secret, owned by its Deployment (deleting the pool deletes the token). */
export function warmPoolSecret(owner: V1Deployment, tier: TenantTier, claimToken: string): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    immutable: true,
    metadata: {
      name: warmPoolName(tier),
      namespace: owner.metadata!.namespace!,
      labels: { [LABELS.name]: AGENT_APP, [LABELS.tier]: tier },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: owner.metadata!.name!,
          uid: owner.metadata!.uid!,
          blockOwnerDeletion: false,
        },
      ],
    },
    stringData: { 'claim-token': claimToken, 'warm.json': JSON.stringify(warmPodConfig()) },
  };
}
