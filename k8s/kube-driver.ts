/**
 * The Kubernetes driver: one pod per tenant wake, named by the workflow's pod
 * id so that a retried launch finds (adopts) the pod it created before, plus
 * the pod's own Secret. Readiness is the pod's Ready condition (the kubelet
 * probing the supervisor's /readyz), so the worker never needs network
 * access to a pod that is still starting. Launch-or-adopt, replacing and
 * draining are the lifecycle core's (runtime/pod-lifecycle.ts); pod loss is
 * reported by the watcher (pod-watcher.ts).
 */
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { PermanentPortError } from '../activities/errors.js';
import type {
  CallOptions,
  PodHandle,
  PodSpec,
  RuntimeCapacity,
  RuntimePod,
  SnapshotManifest,
} from '../activities/ports.js';
import { assertTenantId } from '../common/ids.js';
import type { Logger } from '../common/logger.js';
import type { RuntimeDriver } from '../runtime/driver.js';
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

export interface KubeDriverDeps {
  readonly kubeConfig: KubeConfig;
  readonly options: KubeRuntimeOptions;
  readonly plan: PlanLaunch;
  readonly logger: Logger;
  /** Claims pool pods before creating cold ones, for the tiers that have a pool. */
  readonly warmPool?: WarmPool;
}

/** A tenant pod as the core sees it, with the object it came from. */
export interface KubePod extends RuntimePod {
  readonly pod: V1Pod;
}

export class KubeDriver implements RuntimeDriver<KubePod> {
  /** Kata VMs are not frozen here: an idle tenant sleeps (snapshot, then the pod is deleted). */
  readonly canPause = false;
  private readonly core: CoreV1Api;
  private readonly namespace: string;

  constructor(private readonly deps: KubeDriverDeps) {
    this.core = deps.kubeConfig.makeApiClient(CoreV1Api);
    this.namespace = deps.options.namespace;
  }

  async podsOf(tenantId: string): Promise<readonly KubePod[]> {
    const all = await pods.tenantPods(this.core, this.namespace, tenantId);
    return all.filter((p) => p.metadata?.labels?.[LABELS.generation]).map(asRuntimePod);
  }

  /** Cold pods are named by pod id; claimed warm pods are found by tenant and generation labels. */
  async find(podId: string): Promise<KubePod | null> {
    const byName = await pods.readPod(this.core, this.namespace, podId);
    if (byName) return asRuntimePod(byName);
    const match = /^(.+)-(\d{1,9})$/.exec(podId);
    if (!match) return null;
    const [, tenantId, generation] = match as unknown as [string, string, string];
    const all = await pods.tenantPods(this.core, this.namespace, tenantId);
    const found = all.find((p) => p.metadata?.labels?.[LABELS.generation] === generation);
    return found ? asRuntimePod(found) : null;
  }

  async start(spec: PodSpec, options: CallOptions): Promise<KubePod> {
    checkedGeneration(spec);
    // The claimed pod's supervisor starts the tenant now; it turns Ready like a cold pod.
    const claimed = await this.deps.warmPool?.claim(spec, options);
    if (claimed) return asRuntimePod(claimed);
    try {
      const created = await this.core.createNamespacedPod({
        namespace: this.namespace,
        body: tenantPod(this.deps.options, spec),
      });
      this.deps.logger.info({ tenantId: spec.tenantId, podId: spec.podId }, 'tenant pod created');
      return asRuntimePod(created);
    } catch (error) {
      if (statusOf(error) !== 409) throw createFailure(error, 'pod', spec.podId);
    }
    // Created by a concurrent launch on another worker: adopt it, or let the activity retry once it is gone.
    const existing = await pods.readPod(this.core, this.namespace, spec.podId);
    if (existing && !pods.isTerminating(existing) && !pods.isFinished(existing))
      return asRuntimePod(existing);
    throw new KubeRuntimeError(
      'K8S_LAUNCH_CONTENDED',
      spec.podId,
      `pod ${spec.podId}: launch kept conflicting`,
    );
  }

  async ready({ pod }: KubePod, spec: PodSpec, options: CallOptions): Promise<PodHandle> {
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
      return { podId: spec.podId, endpoint: pods.endpointOf(last), isolation: this.isolation() };
    const why = timedOut
      ? 'not Ready in time'
      : !last
        ? 'deleted while starting'
        : `${last.status?.phase} while starting`;
    throw new KubeRuntimeError('K8S_POD_NOT_READY', name, `pod ${name}: ${why}`);
  }

  /** The stop-requested annotation keeps the watcher quiet about this pod going away. */
  async beginStop({ pod }: KubePod): Promise<void> {
    await pods.markStopRequested(this.core, this.namespace, pod.metadata!.name!);
  }

  /** Deletes and waits until the pod is gone, so the next wake does not overlap this one. */
  async remove({ pod }: KubePod, graceMs: number, options: CallOptions): Promise<SnapshotManifest | null> {
    const name = pod.metadata!.name!;
    const graceSeconds = Math.max(1, Math.ceil(graceMs / 1000));
    if (!pods.isTerminating(pod)) await pods.deletePod(this.core, this.namespace, name, graceSeconds);
    const { timedOut } = await pods.waitForPod(
      this.core,
      this.namespace,
      name,
      (p) => p === null || p.metadata?.uid !== pod.metadata?.uid,
      { timeoutMs: graceMs + 30_000, ...(options.signal ? { signal: options.signal } : {}) },
    );
    if (timedOut) throw new KubeRuntimeError('K8S_OLD_POD_LINGERS', name, `pod ${name} is still terminating`);
    return null; // a pod's disk is gone with it: only its drain (taken by the core) carries state out
  }

  /** A cluster has no fixed place count here: the scheduler queues pods, so nothing is reported as waiting. */
  async capacity(): Promise<RuntimeCapacity> {
    const listed = await this.core.listNamespacedPod({
      namespace: this.namespace,
      labelSelector: LABELS.tenant,
    });
    const tenantPods = listed.items.filter((p) => p.metadata?.labels?.[LABELS.generation]);
    const reported = tenantPods.map(asRuntimePod).map(({ tenantId, podId, endpoint, state }) => ({
      tenantId,
      podId,
      endpoint,
      state,
    }));
    return { max: null, waiting: 0, pods: reported };
  }

  /**
   * The Secret is created after the pod because its owner reference needs the
   * pod's uid; the kubelet holds the container until the volume's Secret
   * exists. A leftover Secret of an earlier pod with this name is replaced.
   */
  /** The pod's isolation for operators (PodHandle.isolation): its RuntimeClass, a Kata VM unless plain runc. */
  private isolation(): string {
    const runtimeClass = this.deps.options.runtimeClassName;
    return runtimeClass
      ? `Kata VM (RuntimeClass ${runtimeClass})`
      : 'NO VM: plain runc (CLAWFLEET_K8S_RUNTIME_CLASS empty)';
  }

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
}

function asRuntimePod(pod: V1Pod): KubePod {
  const state: RuntimePod['state'] = pods.isFinished(pod)
    ? 'gone'
    : pods.isTerminating(pod)
      ? 'stopping'
      : pods.isReady(pod)
        ? 'ready'
        : 'starting';
  return {
    pod,
    tenantId: pod.metadata!.labels![LABELS.tenant]!,
    podId: pods.podIdOf(pod),
    endpoint: pod.status?.podIP ? pods.endpointOf(pod) : '',
    state,
  };
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
