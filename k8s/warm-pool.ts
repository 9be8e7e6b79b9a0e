/**
 * Warm pool: generic supervisor pods per tier, started before any tenant
 * needs them, at a low PriorityClass. A Deployment per tier keeps the pool
 * at its size (warm-manifests.ts). Claiming a pod is a label patch carrying
 * its resourceVersion as a precondition, so of two workflows racing for the
 * same pod exactly one wins (the other gets 409 and tries the next pod); the
 * relabelled pod leaves the Deployment's selector and is replaced. The winner
 * then hands the tenant's spec and secrets to that supervisor with
 * `POST /claim`, authenticated by the pool's claim token.
 */
import { randomBytes } from 'node:crypto';
import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import type { CallOptions, PodSpec } from '../activities/ports.js';
import type { Logger } from '../common/logger.js';
import type { LaunchPlan } from '../runtime/launch-plan.js';
import type { TenantTier } from '../workflows/types.js';
import { createFailure, statusOf } from './errors.js';
import { AGENT_LAYOUT, type KubeRuntimeOptions } from './options.js';
import {
  ANNOTATIONS,
  generationOf,
  LABELS,
  POD_PLACEMENT,
  podSupervisorSpec,
  type PlanLaunch,
} from './pod-manifest.js';
import * as pods from './pods.js';
import { claimWarmSupervisor } from '../runtime/warm-claim-client.js';
import { warmDeployment, warmPoolName, warmPoolSecret, warmSelector } from './warm-manifests.js';

export interface WarmPoolDeps {
  readonly kubeConfig: KubeConfig;
  readonly options: KubeRuntimeOptions;
  readonly plan: PlanLaunch;
  readonly logger: Logger;
  /** How long `POST /claim` may take; the supervisor answers before starting OpenClaw. @default 10000 */
  readonly claimTimeoutMs?: number;
}

export class WarmPool {
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly namespace: string;

  constructor(private readonly deps: WarmPoolDeps) {
    this.core = deps.kubeConfig.makeApiClient(CoreV1Api);
    this.apps = deps.kubeConfig.makeApiClient(AppsV1Api);
    this.namespace = deps.options.namespace;
  }

  /**
   * Creates or updates each configured tier's Deployment and Secret. Every
   * worker calls it at start: the objects come out the same whoever wins.
   */
  async ensure(): Promise<void> {
    for (const [tier, size] of Object.entries(this.deps.options.warmPool) as [TenantTier, number][]) {
      const body = warmDeployment(this.deps.options, tier, size);
      const name = warmPoolName(tier);
      const deployment = await this.createOrReplaceDeployment(name, body);
      try {
        const secret = warmPoolSecret(deployment, tier, randomBytes(32).toString('hex'));
        await this.core.createNamespacedSecret({ namespace: this.namespace, body: secret });
      } catch (error) {
        if (statusOf(error) !== 409) throw createFailure(error, 'warm pool secret', name); // kept: pods hold it
      }
    }
  }

  /**
   * A new image or setting rolls the pool (the Deployment's job); claimed pods
   * left it already. The replace carries the resourceVersion just read, and
   * the deployment controller writes status all the time, so a conflict is
   * normal: read again and retry.
   */
  private async createOrReplaceDeployment(name: string, body: V1Deployment): Promise<V1Deployment> {
    try {
      return await this.apps.createNamespacedDeployment({ namespace: this.namespace, body });
    } catch (error) {
      if (statusOf(error) !== 409) throw createFailure(error, 'warm pool deployment', name);
    }
    for (let attempt = 1; ; attempt++) {
      const current = await this.apps.readNamespacedDeployment({ name, namespace: this.namespace });
      const metadata = { ...body.metadata, resourceVersion: current.metadata!.resourceVersion! };
      try {
        return await this.apps.replaceNamespacedDeployment({
          name,
          namespace: this.namespace,
          body: { ...body, metadata },
        });
      } catch (error) {
        if (statusOf(error) !== 409 || attempt === 5)
          throw createFailure(error, 'warm pool deployment', name);
      }
    }
  }

  /** Unclaimed pool pods of a tier (claimable or not yet), oldest first. */
  async available(tier: TenantTier): Promise<V1Pod[]> {
    const selector = Object.entries(warmSelector(tier)).map(([k, v]) => `${k}=${v}`);
    const list = await this.core.listNamespacedPod({
      namespace: this.namespace,
      labelSelector: selector.join(','),
    });
    return list.items.filter((p) => !pods.isTerminating(p) && !pods.isFinished(p));
  }

  /**
   * A pool pod now serving this tenant wake (its supervisor accepted the
   * claim; the caller waits for Ready), or null: no pool for the tier, none
   * claimable, or the hand-over failed (that pod is deleted: it may hold the
   * tenant's secrets) and the caller launches cold.
   */
  async claim(spec: PodSpec, options: CallOptions = {}): Promise<V1Pod | null> {
    if (!this.deps.options.warmPool[spec.tier]) return null;
    const claimable = (await this.available(spec.tier)).filter(isClaimable);
    if (claimable.length === 0) return null;
    // Planned before any claim: a tenant that cannot be planned fails like a cold launch, without burning a pod.
    const plan = await this.deps.plan(spec, POD_PLACEMENT, AGENT_LAYOUT.rootDir);
    for (const candidate of shuffle(claimable)) {
      const claimed = await this.claimPod(candidate, spec);
      if (!claimed) continue;
      const name = claimed.metadata!.name!;
      try {
        await this.handOver(claimed, plan, options);
        this.deps.logger.info({ tenantId: spec.tenantId, podId: spec.podId, pod: name }, 'warm pod claimed');
        return claimed;
      } catch (error) {
        this.deps.logger.warn({ err: error, tenantId: spec.tenantId, pod: name }, 'warm claim failed');
        await pods.markStopRequested(this.core, this.namespace, name);
        await pods.deletePod(this.core, this.namespace, name, 0);
        return null;
      }
    }
    return null;
  }

  /**
   * Binds the pod to the tenant wake if nobody else did first: the patch
   * carries the resourceVersion we read, so the API server refuses it (409)
   * when another claim (or any other write) happened in between.
   */
  async claimPod(pod: V1Pod, spec: PodSpec): Promise<V1Pod | null> {
    const body = {
      metadata: {
        resourceVersion: pod.metadata!.resourceVersion,
        labels: {
          [LABELS.pool]: 'claimed',
          [LABELS.tenant]: spec.tenantId,
          [LABELS.generation]: generationOf(spec),
        },
        annotations: { [ANNOTATIONS.podId]: spec.podId },
      },
    };
    try {
      return await this.core.patchNamespacedPod(
        { name: pod.metadata!.name!, namespace: this.namespace, body },
        pods.mergePatch,
      );
    } catch (error) {
      if (statusOf(error) === 409 || statusOf(error) === 404) return null;
      throw error;
    }
  }

  /**
   * The same plan as a cold pod's Secret, sent over the pod network instead
   * (NetworkPolicy admits only the router and worker to port 8080). The
   * supervisor listens at the pod IP we reached it at, our published endpoint.
   */
  private async handOver(pod: V1Pod, plan: LaunchPlan, options: CallOptions): Promise<void> {
    const tier = pod.metadata!.labels![LABELS.tier] as TenantTier;
    const secret = await this.core.readNamespacedSecret({
      name: warmPoolName(tier),
      namespace: this.namespace,
    });
    const token = Buffer.from(secret.data?.['claim-token'] ?? '', 'base64').toString('utf8');
    const tenantSpec = {
      ...podSupervisorSpec(plan.spec, this.deps.options),
      listen: { host: pod.status!.podIP!, port: AGENT_LAYOUT.supervisorPort },
    };
    const timeout = AbortSignal.timeout(this.deps.claimTimeoutMs ?? 10_000);
    await claimWarmSupervisor(
      { endpoint: pods.endpointOf(pod) },
      token,
      { spec: tenantSpec, secrets: plan.secrets },
      options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
    );
  }
}

/** Running with an address and its warm server listening (startupProbe passed); never Ready while warm. */
export function isClaimable(pod: V1Pod): boolean {
  return (
    pod.status?.phase === 'Running' &&
    !!pod.status.podIP &&
    !pods.isTerminating(pod) &&
    (pod.status.containerStatuses ?? []).some((c) => c.name === 'agent' && c.started === true)
  );
}

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
