/**
 * Warm pool: generic supervisor pods per tier, started before any tenant
 * needs them, at a low PriorityClass. Claiming one is a label patch carrying
 * the pod's resourceVersion as a precondition, so of two workflows racing for
 * the same pod exactly one wins (the other gets 409 and tries the next pod).
 * The winner then hands the tenant's spec and secrets to that supervisor with
 * `POST /claim`, authenticated by the pod's own claim token.
 */
import { randomBytes } from 'node:crypto';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { CallOptions, PodHandle, PodSpec } from '../activities/ports.js';
import type { Logger } from '../common/logger.js';
import type { TenantTier } from '../workflows/types.js';
import { createFailure, statusOf } from './errors.js';
import { AGENT_LAYOUT, type KubeRuntimeOptions } from './options.js';
import {
  AGENT_APP,
  ANNOTATIONS,
  generationOf,
  LABELS,
  POD_PLACEMENT,
  podSecret,
  podSupervisorSpec,
  secretNameOf,
  warmPod,
  type PlanLaunch,
} from './pod-manifest.js';
import * as pods from './pods.js';

export interface WarmPoolDeps {
  readonly kubeConfig: KubeConfig;
  readonly options: KubeRuntimeOptions;
  readonly plan: PlanLaunch;
  readonly logger: Logger;
}

export class WarmPool {
  private readonly core: CoreV1Api;
  private readonly namespace: string;

  constructor(private readonly deps: WarmPoolDeps) {
    this.core = deps.kubeConfig.makeApiClient(CoreV1Api);
    this.namespace = deps.options.namespace;
  }

  /** Unclaimed pool pods of a tier (ready or not), oldest first. */
  async available(tier: TenantTier): Promise<V1Pod[]> {
    const list = await this.core.listNamespacedPod({
      namespace: this.namespace,
      labelSelector: `${LABELS.name}=${AGENT_APP},${LABELS.pool}=warm,${LABELS.tier}=${tier}`,
    });
    return list.items.filter((p) => !pods.isTerminating(p) && !pods.isFinished(p));
  }

  /** Creates or deletes pool pods until each configured tier has its target count. */
  async reconcile(): Promise<{ created: number; deleted: number }> {
    let created = 0;
    let deleted = 0;
    for (const [tier, size] of Object.entries(this.deps.options.warmPool) as [TenantTier, number][]) {
      const current = await this.available(tier);
      for (let i = current.length; i < size; i++, created++) await this.createWarm(tier);
      for (const extra of current.slice(size)) {
        await pods.deletePod(this.core, this.namespace, extra.metadata!.name!, 0);
        deleted++;
      }
    }
    return { created, deleted };
  }

  /** A ready pool pod bound to this tenant wake, or null (no pool for the tier, none ready, claim failed). */
  async claim(spec: PodSpec, options: CallOptions = {}): Promise<PodHandle | null> {
    if (!this.deps.options.warmPool[spec.tier]) return null;
    const ready = (await this.available(spec.tier)).filter(pods.isReady);
    for (const candidate of shuffle(ready)) {
      const claimed = await this.claimPod(candidate, spec);
      if (!claimed) continue;
      try {
        await this.handOver(claimed, spec, options);
        this.deps.logger.info(
          { tenantId: spec.tenantId, podId: spec.podId, pod: claimed.metadata?.name },
          'warm pod claimed',
        );
        return { podId: spec.podId, endpoint: pods.endpointOf(claimed) };
      } catch (error) {
        // The pod may already hold the tenant's secrets: it never goes back to the pool.
        this.deps.logger.warn(
          { err: error, tenantId: spec.tenantId, pod: claimed.metadata?.name },
          'warm claim failed',
        );
        await pods.deletePod(this.core, this.namespace, claimed.metadata!.name!, 0);
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

  private async handOver(pod: V1Pod, spec: PodSpec, options: CallOptions): Promise<void> {
    const secret = await this.core.readNamespacedSecret({
      name: secretNameOf(pod.metadata!.name!),
      namespace: this.namespace,
    });
    const token = Buffer.from(secret.data?.['claim-token'] ?? '', 'base64').toString('utf8');
    const plan = await this.deps.plan(spec, POD_PLACEMENT, AGENT_LAYOUT.rootDir);
    // The supervisor answers once the tenant's gateway is ready, like a cold pod's /readyz.
    const timeout = AbortSignal.timeout(this.deps.options.readyTimeoutMs);
    const response = await fetch(`${pods.endpointOf(pod)}/claim`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ spec: podSupervisorSpec(plan.spec, this.deps.options), secrets: plan.secrets }),
      signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
    });
    if (!response.ok) throw new Error(`POST /claim answered ${response.status}`);
  }

  private async createWarm(tier: TenantTier): Promise<void> {
    const name = `warm-${tier}-${randomBytes(4).toString('hex')}`;
    let pod: V1Pod;
    try {
      pod = await this.core.createNamespacedPod({
        namespace: this.namespace,
        body: warmPod(this.deps.options, name, tier),
      });
    } catch (error) {
      throw createFailure(error, 'warm pod', name);
    }
    const body = podSecret(pod, { 'claim-token': randomBytes(32).toString('hex') });
    await this.core.createNamespacedSecret({ namespace: this.namespace, body });
  }
}

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
