/**
 * The Kubernetes runtime driver: one pod per tenant wake, named by the
 * workflow's pod id so that a retried launch finds (adopts) the pod it
 * created before, plus the pod's own Secret. Readiness is the pod's Ready
 * condition (the kubelet probing the supervisor's /readyz), so the worker
 * never needs network access to a pod that is still starting. A stop drains
 * through the supervisor first, as the local driver does, so the final
 * snapshot (taken after OpenClaw stopped) comes back to the stop activity and
 * is recorded; deleting a pod alone would leave that snapshot unrecorded.
 */
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { PermanentPortError } from '../activities/errors.js';
import type {
  CallOptions,
  PodHandle,
  PodSpec,
  PodStatus,
  RuntimeCapacity,
  RuntimePort,
  SnapshotManifest,
} from '../activities/ports.js';
import { assertTenantId } from '../common/ids.js';
import type { Logger } from '../common/logger.js';
import { createFailure, KubeRuntimeError, statusOf } from './errors.js';
import { AGENT_LAYOUT, type KubeRuntimeOptions } from './options.js';
import {
  generationOf,
  LABELS,
  POD_PLACEMENT,
  podSecret,
  podSupervisorSpec,
  secretNameOf,
  tenantPod,
  tenantSecretData,
  type PlanLaunch,
} from './pod-manifest.js';
import * as pods from './pods.js';
import type { WarmPool } from './warm-pool.js';

export interface KubeRuntimeDeps {
  readonly kubeConfig: KubeConfig;
  readonly options: KubeRuntimeOptions;
  readonly plan: PlanLaunch;
  readonly logger: Logger;
  /** Claims pool pods before creating cold ones, for the tiers that have a pool. */
  readonly warmPool?: WarmPool;
  /** The supervisor client's drain (runtime/supervisor-client.ts); without it a stop only deletes the pod. */
  readonly drain?: (handle: PodHandle, options: CallOptions) => Promise<SnapshotManifest | null>;
}

export class KubernetesRuntime implements RuntimePort {
  private readonly core: CoreV1Api;
  private readonly namespace: string;

  constructor(private readonly deps: KubeRuntimeDeps) {
    this.core = deps.kubeConfig.makeApiClient(CoreV1Api);
    this.namespace = deps.options.namespace;
  }

  async launch(spec: PodSpec, options: CallOptions = {}): Promise<PodHandle> {
    const generation = checkedGeneration(spec);
    // A few rounds: each one either returns, or has waited for something that was in the way to go.
    for (let round = 0; round < 5; round++) {
      const existing = await pods.tenantPods(this.core, this.namespace, spec.tenantId);
      const mine = existing.find((p) => p.metadata?.labels?.[LABELS.generation] === generation);
      // Two gateways of one tenant would fight over its Telegram webhook and its snapshots.
      await this.removeAndAwait(
        existing.filter((p) => p !== mine),
        options,
      );
      if (mine && !pods.isTerminating(mine) && !pods.isFinished(mine)) return this.adopt(mine, spec, options);
      if (mine) {
        await this.removeAndAwait([mine], options);
        continue;
      }
      // The claimed pod's supervisor starts the tenant now; it turns Ready like a cold pod.
      const claimed = await this.deps.warmPool?.claim(spec, options);
      if (claimed) return this.adopt(claimed, spec, options);
      let created: V1Pod;
      try {
        created = await this.core.createNamespacedPod({
          namespace: this.namespace,
          body: tenantPod(this.deps.options, spec),
        });
      } catch (error) {
        if (statusOf(error) === 409) continue; // created by an earlier attempt or a concurrent launch: adopt it
        throw createFailure(error, 'pod', spec.podId);
      }
      this.deps.logger.info({ tenantId: spec.tenantId, podId: spec.podId }, 'tenant pod created');
      return this.adopt(created, spec, options);
    }
    throw new KubeRuntimeError(
      'K8S_LAUNCH_CONTENDED',
      spec.podId,
      `pod ${spec.podId}: launch kept conflicting`,
    );
  }

  async stop(
    handle: PodHandle,
    options: { graceMs: number } & CallOptions,
  ): Promise<SnapshotManifest | null> {
    const graceSeconds = Math.max(1, Math.ceil(options.graceMs / 1000));
    let manifest: SnapshotManifest | null = null;
    for (const pod of await this.podsOf(handle.podId)) {
      const name = pod.metadata!.name!;
      await pods.markStopRequested(this.core, this.namespace, name);
      if (pods.isReady(pod) && !pods.isTerminating(pod))
        manifest = (await this.drain(handle, options)) ?? manifest;
      await pods.deletePod(this.core, this.namespace, name, graceSeconds);
      // Wait so the next wake does not overlap this one; a slow kubelet is not our failure.
      await pods.waitForPod(
        this.core,
        this.namespace,
        name,
        (p) => p === null || p.metadata?.uid !== pod.metadata?.uid,
        {
          timeoutMs: options.graceMs + 10_000,
          ...(options.signal ? { signal: options.signal } : {}),
        },
      );
    }
    return manifest;
  }

  async describe(handle: PodHandle): Promise<PodStatus> {
    const [pod] = await this.podsOf(handle.podId);
    const state: PodStatus['state'] =
      !pod || pods.isFinished(pod)
        ? 'gone'
        : pods.isTerminating(pod)
          ? 'stopping'
          : pods.isReady(pod)
            ? 'ready'
            : 'starting';
    return { podId: handle.podId, state };
  }

  /** A cluster has no fixed place count here: the scheduler queues pods, so nothing is reported as waiting. */
  async capacity(): Promise<RuntimeCapacity> {
    const listed = await this.core.listNamespacedPod({
      namespace: this.namespace,
      labelSelector: LABELS.tenant,
    });
    const tenantPods = listed.items.filter((p) => p.metadata?.labels?.[LABELS.generation]);
    return {
      max: null,
      waiting: 0,
      pods: tenantPods.map((p) => ({
        tenantId: p.metadata!.labels![LABELS.tenant]!,
        podId: pods.podIdOf(p),
        endpoint: p.status?.podIP ? pods.endpointOf(p) : '',
        state: pods.isTerminating(p) ? 'stopping' : pods.isReady(p) ? 'ready' : 'starting',
      })),
    };
  }

  /**
   * Final snapshot through the supervisor; a pod that cannot drain (unreachable,
   * already stopping) is deleted anyway, and its SIGTERM drain's snapshot is
   * picked up by the next launch activity, which records the newest complete one.
   */
  private async drain(handle: PodHandle, options: { graceMs: number } & CallOptions) {
    if (!this.deps.drain) return null;
    const timeout = AbortSignal.timeout(options.graceMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      return await this.deps.drain(handle, { signal });
    } catch (error) {
      this.deps.logger.warn({ err: error, podId: handle.podId }, 'drain failed; deleting the pod anyway');
      return null;
    }
  }

  /** Cold pods are named by pod id; claimed warm pods are found by tenant and generation labels. */
  private async podsOf(podId: string): Promise<V1Pod[]> {
    const byName = await pods.readPod(this.core, this.namespace, podId);
    if (byName) return [byName];
    const match = /^(.+)-(\d{1,9})$/.exec(podId);
    if (!match) return [];
    const [, tenantId, generation] = match as unknown as [string, string, string];
    const all = await pods.tenantPods(this.core, this.namespace, tenantId);
    return all.filter((p) => p.metadata?.labels?.[LABELS.generation] === generation);
  }

  private async adopt(pod: V1Pod, spec: PodSpec, options: CallOptions): Promise<PodHandle> {
    const name = pod.metadata!.name!;
    if (!pod.metadata?.labels?.[LABELS.pool]) await this.ensureSecret(pod, spec);
    const { pod: last, timedOut } = await pods.waitForPod(
      this.core,
      this.namespace,
      name,
      (p) =>
        !p ||
        p.metadata?.uid !== pod.metadata?.uid ||
        pods.isReady(p) ||
        pods.isFinished(p) ||
        pods.isTerminating(p),
      { timeoutMs: this.deps.options.readyTimeoutMs, ...(options.signal ? { signal: options.signal } : {}) },
    );
    if (last && last.metadata?.uid === pod.metadata?.uid && pods.isReady(last) && !pods.isTerminating(last))
      return { podId: spec.podId, endpoint: pods.endpointOf(last) };
    const why = timedOut
      ? 'not Ready in time'
      : !last
        ? 'deleted while starting'
        : `${last.status?.phase} while starting`;
    throw new KubeRuntimeError('K8S_POD_NOT_READY', name, `pod ${name}: ${why}`);
  }

  /**
   * The Secret is created after the pod because its owner reference needs the
   * pod's uid; the kubelet holds the container until the volume's Secret
   * exists. A leftover Secret of an earlier pod with this name is replaced.
   */
  private async ensureSecret(pod: V1Pod, spec: PodSpec): Promise<void> {
    const name = secretNameOf(pod.metadata!.name!);
    try {
      const existing = await this.core.readNamespacedSecret({ name, namespace: this.namespace });
      if (existing.metadata?.ownerReferences?.some((o) => o.uid === pod.metadata!.uid)) return;
      await this.core.deleteNamespacedSecret({ name, namespace: this.namespace });
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
    const plan = await this.deps.plan(spec, POD_PLACEMENT, AGENT_LAYOUT.rootDir);
    const body = podSecret(
      pod,
      tenantSecretData(podSupervisorSpec(plan.spec, this.deps.options), plan.secrets),
    );
    try {
      await this.core.createNamespacedSecret({ namespace: this.namespace, body });
    } catch (error) {
      if (statusOf(error) !== 409) throw createFailure(error, 'secret', name);
    }
  }

  private async removeAndAwait(victims: V1Pod[], options: CallOptions): Promise<void> {
    for (const pod of victims) {
      const name = pod.metadata!.name!;
      if (!pods.isTerminating(pod)) {
        await pods.markStopRequested(this.core, this.namespace, name);
        await pods.deletePod(this.core, this.namespace, name, this.deps.options.terminationGraceSeconds);
      }
      const { timedOut } = await pods.waitForPod(
        this.core,
        this.namespace,
        name,
        (p) => p === null || p.metadata?.uid !== pod.metadata?.uid,
        {
          timeoutMs: (this.deps.options.terminationGraceSeconds + 30) * 1000,
          ...(options.signal ? { signal: options.signal } : {}),
        },
      );
      if (timedOut)
        throw new KubeRuntimeError('K8S_OLD_POD_LINGERS', name, `pod ${name} is still terminating`);
    }
  }
}

/** Bad ids are caller bugs: permanent, so the workflow fails loudly instead of retrying. */
function checkedGeneration(spec: PodSpec): string {
  try {
    assertTenantId(spec.tenantId);
    return generationOf(spec);
  } catch (error) {
    throw new PermanentPortError('K8S_BAD_POD_ID', (error as Error).message, { cause: error });
  }
}
