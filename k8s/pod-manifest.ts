/**
 * The objects of one tenant wake: the pod (hardened, Kata by default) and its
 * Secret. The Secret carries `spec.json` and one file per supervisor secret,
 * mounted read-only at AGENT_LAYOUT.secretsDir, and is owned by the pod so the
 * garbage collector removes it with the pod: secret values never sit in env
 * vars, the pod spec, logs or Temporal payloads.
 */
import type { V1Container, V1Pod, V1Probe, V1Secret } from '@kubernetes/client-node';
import type { PodSpec } from '../activities/ports.js';
import type { LaunchPlan, Placement } from '../runtime/launch-plan.js';
import type { PodSecrets, SupervisorSpec } from '../supervisor/supervisor-config.js';
import type { TenantTier } from '../workflows/types.js';
import { AGENT_LAYOUT, type KubeRuntimeOptions } from './options.js';
import { SUPERVISOR_V8_FLAGS } from '../common/entry-points.js';

/** Builds the supervisor spec and secrets of a wake (runtime/launch-plan.ts, bound to the registry by the worker). */
export type PlanLaunch = (pod: PodSpec, placement: Placement, rootDir: string) => Promise<LaunchPlan>;

/** Inside a pod the supervisor listens on every interface at fixed ports (the pod IP is the tenant's). */
export const POD_PLACEMENT: Placement = {
  host: '0.0.0.0',
  supervisorPort: AGENT_LAYOUT.supervisorPort,
  gatewayPort: AGENT_LAYOUT.gatewayPort,
  webhookPort: AGENT_LAYOUT.webhookPort,
};

export const LABELS = {
  name: 'app.kubernetes.io/name',
  tenant: 'clawfleet.io/tenant',
  generation: 'clawfleet.io/generation',
  tier: 'clawfleet.io/tier',
  /** `warm` (unclaimed pool pod), `claimed` (pool pod bound to a tenant); absent on cold pods. */
  pool: 'clawfleet.io/pool',
} as const;
export const AGENT_APP = 'clawfleet-agent';
export const ANNOTATIONS = {
  podId: 'clawfleet.io/pod-id',
  /** Set by `stop` before deleting, so the watcher does not report a pod we removed on purpose. */
  stopRequested: 'clawfleet.io/stop-requested',
} as const;

/**
 * Requests and limits by tier. OpenClaw idles at ~1.0 GB RSS and reaches
 * 1.3 GB after a few turns (FACTS.md); the Kata RuntimeClass adds its own
 * overhead (250m/160Mi for kata-qemu) through admission, never set here.
 */
export const TIER_RESOURCES: Readonly<
  Record<TenantTier, { requests: Record<string, string>; limits: Record<string, string> }>
> = {
  free: { requests: { cpu: '250m', memory: '1536Mi' }, limits: { cpu: '1', memory: '2Gi' } },
  standard: { requests: { cpu: '500m', memory: '1536Mi' }, limits: { cpu: '1', memory: '2Gi' } },
  pro: { requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '2', memory: '3Gi' } },
};

/** `<tenantId>-<generation>` → generation; anything else is a caller bug, not a retryable failure. */
export function generationOf(spec: Pick<PodSpec, 'tenantId' | 'podId'>): string {
  const suffix = spec.podId.startsWith(`${spec.tenantId}-`) ? spec.podId.slice(spec.tenantId.length + 1) : '';
  if (!/^\d{1,9}$/.test(suffix)) throw new Error(`pod id ${spec.podId} is not <tenantId>-<generation>`);
  return suffix;
}

export function secretNameOf(podName: string): string {
  return `${podName}-secrets`;
}

/** The supervisor spec as it must look inside a pod: API on all interfaces, gateway on loopback only. */
export function podSupervisorSpec(spec: SupervisorSpec, options: KubeRuntimeOptions): SupervisorSpec {
  return {
    ...spec,
    listen: { host: '0.0.0.0', port: AGENT_LAYOUT.supervisorPort },
    gateway: { ...spec.gateway, host: '127.0.0.1', port: AGENT_LAYOUT.gatewayPort },
    rootDir: AGENT_LAYOUT.rootDir,
    secretsDir: AGENT_LAYOUT.secretsDir,
    // The chain keeps the pod's grace above the drain; an operator override below it still wins here.
    shutdownGraceMs: Math.min(spec.shutdownGraceMs, (options.terminationGraceSeconds - 5) * 1000),
  };
}

function agentContainer(options: KubeRuntimeOptions, shape: PodShape): V1Container {
  return {
    name: 'agent',
    image: options.image,
    command: [AGENT_LAYOUT.node, ...SUPERVISOR_V8_FLAGS, AGENT_LAYOUT.supervisorMain],
    args: shape.args,
    ports: [{ name: 'supervisor', containerPort: AGENT_LAYOUT.supervisorPort, protocol: 'TCP' }],
    resources: TIER_RESOURCES[shape.tier],
    env: [
      { name: 'HOME', value: `${AGENT_LAYOUT.rootDir}/home` },
      { name: 'TMPDIR', value: AGENT_LAYOUT.tmpDir },
    ],
    securityContext: {
      runAsNonRoot: true,
      runAsUser: AGENT_LAYOUT.uid,
      runAsGroup: AGENT_LAYOUT.uid,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    // The supervisor's /readyz is 200 only once OpenClaw answers its own /readyz and channels are up.
    readinessProbe: {
      httpGet: { path: '/readyz', port: 'supervisor' },
      periodSeconds: 2,
      failureThreshold: 3,
    },
    ...(shape.startupProbe ? { startupProbe: shape.startupProbe } : {}),
    livenessProbe: {
      httpGet: { path: '/healthz', port: 'supervisor' },
      periodSeconds: 10,
      failureThreshold: 6,
    },
    // SIGTERM already drains and snapshots; the short sleep lets endpoint removal reach the router first.
    lifecycle: { preStop: { sleep: { seconds: 2 } } },
    volumeMounts: [
      { name: 'state', mountPath: AGENT_LAYOUT.rootDir },
      { name: 'tmp', mountPath: AGENT_LAYOUT.tmpDir },
      { name: 'secrets', mountPath: AGENT_LAYOUT.secretsDir, readOnly: true },
    ],
  };
}

export interface PodShape {
  /** Absent in a Deployment's pod template (the ReplicaSet names its pods). */
  readonly name?: string;
  readonly tier: TenantTier;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly secretName: string;
  readonly args: string[];
  readonly priorityClassName: string;
  /** `Never` for tenant pods (the workflow relaunches); a Deployment's template must say `Always`. */
  readonly restartPolicy: 'Never' | 'Always';
  readonly startupProbe?: V1Probe;
}

export function agentPod(options: KubeRuntimeOptions, shape: PodShape): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(shape.name ? { name: shape.name } : {}),
      namespace: options.namespace,
      labels: { [LABELS.name]: AGENT_APP, [LABELS.tier]: shape.tier, ...shape.labels },
      annotations: shape.annotations,
    },
    spec: {
      ...(options.runtimeClassName ? { runtimeClassName: options.runtimeClassName } : {}),
      priorityClassName: shape.priorityClassName,
      nodeSelector: { ...options.nodeSelector },
      tolerations: options.tolerations.map((t) => ({ ...t })),
      automountServiceAccountToken: false,
      enableServiceLinks: false, // no other services' addresses in the tenant's environment
      restartPolicy: shape.restartPolicy,
      terminationGracePeriodSeconds: options.terminationGraceSeconds,
      securityContext: {
        runAsNonRoot: true,
        fsGroup: AGENT_LAYOUT.uid,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [agentContainer(options, shape)],
      volumes: [
        { name: 'state', emptyDir: { sizeLimit: '2Gi' } },
        { name: 'tmp', emptyDir: { sizeLimit: '512Mi' } },
        { name: 'secrets', secret: { secretName: shape.secretName, defaultMode: 0o440 } },
      ],
    },
  };
}

/** The cold pod of one tenant wake; its name is the pod id, so a retried launch finds it. */
export function tenantPod(options: KubeRuntimeOptions, spec: PodSpec): V1Pod {
  return agentPod(options, {
    name: spec.podId,
    tier: spec.tier,
    labels: { [LABELS.tenant]: spec.tenantId, [LABELS.generation]: generationOf(spec) },
    annotations: { [ANNOTATIONS.podId]: spec.podId },
    secretName: secretNameOf(spec.podId),
    args: [AGENT_LAYOUT.specFile],
    priorityClassName: options.priorityClassName,
    restartPolicy: 'Never', // a crashed pod is the workflow's to relaunch (next generation, last snapshot)
  });
}

/** The pod's Secret, owned by it: created after the pod (it needs the uid); the kubelet waits for it. */
export function podSecret(owner: V1Pod, data: Record<string, string>): V1Secret {
  const name = owner.metadata!.name!;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    immutable: true,
    metadata: {
      name: secretNameOf(name),
      namespace: owner.metadata!.namespace!,
      labels: { [LABELS.name]: AGENT_APP, ...pick(owner.metadata!.labels ?? {}, [LABELS.tenant]) },
      ownerReferences: [
        { apiVersion: 'v1', kind: 'Pod', name, uid: owner.metadata!.uid!, blockOwnerDeletion: false },
      ],
    },
    stringData: data,
  };
}

/** `spec.json` plus one file per secret, named after SECRET_SOURCES keys (what the supervisor reads). */
export function tenantSecretData(spec: SupervisorSpec, secrets: PodSecrets): Record<string, string> {
  const data: Record<string, string> = { 'spec.json': JSON.stringify(spec) };
  for (const [name, value] of Object.entries(secrets)) if (value) data[name] = value;
  return data;
}

function pick(record: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((k) => k in record).map((k) => [k, record[k]!]));
}
