/**
 * Settings of the Kubernetes runtime, as plain typed values (the worker maps
 * them from common/config.ts with `kubeOptionsFromConfig`), and the fixed
 * layout of the agent image and pod that the manifests, the Dockerfile and
 * the supervisor spec must agree on.
 */
import { msToNumber } from '@temporalio/common';
import type { Config } from '../common/config.js';
import { graceChain } from '../common/grace.js';
import { ConfigError } from '../common/errors.js';
import type { TenantTier } from '../workflows/types.js';

export interface Toleration {
  readonly key: string;
  readonly operator: 'Equal' | 'Exists';
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface KubeRuntimeOptions {
  /** Namespace of tenant pods (and their Secrets); the NetworkPolicy and quota live there too. */
  readonly namespace: string;
  readonly image: string;
  /** `kata-qemu` by default; empty string runs plain runc (no microVM: not a hostile boundary). */
  readonly runtimeClassName: string;
  readonly priorityClassName: string;
  /** Warm pods run at a lower priority so that real tenants preempt them. */
  readonly warmPriorityClassName: string;
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: readonly Toleration[];
  /** SIGTERM → SIGKILL; the supervisor's final snapshot must fit (spec.shutdownGraceMs). */
  readonly terminationGraceSeconds: number;
  /** Target size of the warm pool per tier; tiers absent here are always launched cold. */
  readonly warmPool: Readonly<Partial<Record<TenantTier, number>>>;
  /** Longest wait for a pod to turn Ready. @default 300000 (Kata cold start on EKS is 3–5 min) */
  readonly readyTimeoutMs: number;
}

/** Paths and ports inside the agent image and pod (k8s/images/agent.Dockerfile builds this layout). */
export const AGENT_LAYOUT = {
  supervisorPort: 8080,
  /** Bound to 127.0.0.1 inside the pod: only the supervisor is reachable from outside. */
  gatewayPort: 18789,
  webhookPort: 8787,
  /** Writable emptyDir: OpenClaw state, home, tmp, work. */
  rootDir: '/var/lib/clawfleet',
  tmpDir: '/tmp',
  /** The per-tenant Secret: `spec.json` plus one file per supervisor secret (SECRET_SOURCES keys). */
  secretsDir: '/etc/clawfleet',
  specFile: '/etc/clawfleet/spec.json',
  /** A warm pod's Secret instead: the pool's claim token and `warm.json` (supervisor/warm-config.ts). */
  claimTokenFile: '/etc/clawfleet/claim-token',
  warmConfigFile: '/etc/clawfleet/warm.json',
  node: '/usr/local/bin/node',
  openclawEntry: '/opt/openclaw/node_modules/openclaw/openclaw.mjs',
  /** The build (k8s/images/agent.Dockerfile copies dist/): plain Node, no loader. */
  supervisorMain: '/app/dist/supervisor/main.js',
  uid: 10001,
} as const;

export const DEFAULT_KUBE_OPTIONS: KubeRuntimeOptions = {
  namespace: 'clawfleet-tenants',
  image: 'ghcr.io/clawfleet/agent:0.1.0',
  runtimeClassName: 'kata-qemu',
  priorityClassName: 'clawfleet-tenant',
  warmPriorityClassName: 'clawfleet-warm',
  nodeSelector: { 'katacontainers.io/kata-runtime': 'true' },
  tolerations: [{ key: 'clawfleet.io/tenants', operator: 'Exists', effect: 'NoSchedule' }],
  terminationGraceSeconds: graceChain(30_000).podTerminationSeconds,
  warmPool: {},
  readyTimeoutMs: 300_000,
};

/** `a=b,c=d` → record. */
export function parseKeyValues(text: string, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [key, value, extra] = part.split('=');
    if (!key || value === undefined || extra !== undefined)
      throw new ConfigError([`${what}: bad entry ${part}`]);
    out[key] = value;
  }
  return out;
}

/** `key[=value]:Effect,...` → tolerations (`Exists` when there is no value). */
export function parseTolerations(text: string): Toleration[] {
  return text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((part) => {
      const match = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(part);
      if (!match) throw new ConfigError([`CLAWFLEET_K8S_TOLERATIONS: bad entry ${part}`]);
      const [, key, value, effect] = match as unknown as [
        string,
        string,
        string | undefined,
        Toleration['effect'],
      ];
      return value === undefined
        ? { key, operator: 'Exists', effect }
        : { key, operator: 'Equal', value, effect };
    });
}

export function kubeOptionsFromConfig(config: Pick<Config, 'k8s' | 'runtime'>): KubeRuntimeOptions {
  const pool = parseKeyValues(config.k8s.warmPool, 'CLAWFLEET_K8S_WARM_POOL');
  const warmPool: Partial<Record<TenantTier, number>> = {};
  for (const [tier, size] of Object.entries(pool)) {
    if (!['free', 'standard', 'pro'].includes(tier) || !/^\d+$/.test(size))
      throw new ConfigError([`CLAWFLEET_K8S_WARM_POOL: bad entry ${tier}=${size}`]);
    warmPool[tier as TenantTier] = Number(size);
  }
  return {
    ...DEFAULT_KUBE_OPTIONS,
    namespace: config.k8s.namespace,
    image: config.k8s.agentImage,
    runtimeClassName: config.k8s.runtimeClass,
    priorityClassName: config.k8s.priorityClass,
    warmPriorityClassName: config.k8s.warmPriorityClass,
    nodeSelector: parseKeyValues(config.k8s.nodeSelector, 'CLAWFLEET_K8S_NODE_SELECTOR'),
    tolerations: parseTolerations(config.k8s.tolerations),
    warmPool,
    terminationGraceSeconds: graceChain(msToNumber(config.runtime.stopGrace)).podTerminationSeconds,
  };
}
