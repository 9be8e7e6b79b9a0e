/**
 * Small pod helpers over the API shared by the runtime, the warm pool and the
 * watcher: label queries, readiness, waiting, and idempotent deletes.
 */
import { type CoreV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { statusOf } from './errors.js';
import { AGENT_APP, ANNOTATIONS, LABELS } from './pod-manifest.js';
import { AGENT_LAYOUT } from './options.js';

export const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export function isReady(pod: V1Pod): boolean {
  return (
    pod.status?.phase === 'Running' &&
    !!pod.status.podIP &&
    (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

export function isFinished(pod: V1Pod): boolean {
  return pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';
}

export function isTerminating(pod: V1Pod): boolean {
  return !!pod.metadata?.deletionTimestamp;
}

export function endpointOf(pod: V1Pod): string {
  return `http://${pod.status!.podIP}:${AGENT_LAYOUT.supervisorPort}`;
}

/** The workflow's pod id: the annotation (claimed warm pods have another name), else the name. */
export function podIdOf(pod: V1Pod): string {
  return pod.metadata?.annotations?.[ANNOTATIONS.podId] ?? pod.metadata!.name!;
}

export async function tenantPods(core: CoreV1Api, namespace: string, tenantId: string): Promise<V1Pod[]> {
  const list = await core.listNamespacedPod({
    namespace,
    labelSelector: `${LABELS.name}=${AGENT_APP},${LABELS.tenant}=${tenantId}`,
  });
  return list.items;
}

export async function readPod(core: CoreV1Api, namespace: string, name: string): Promise<V1Pod | null> {
  try {
    return await core.readNamespacedPod({ name, namespace });
  } catch (error) {
    if (statusOf(error) === 404) return null;
    throw error;
  }
}

/** Deletes with the given grace; a pod that is already gone is success. */
export async function deletePod(core: CoreV1Api, namespace: string, name: string, graceSeconds: number) {
  try {
    await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: graceSeconds });
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
}

/** Marks a pod as stopped on purpose (the watcher then stays quiet); a missing pod is fine. */
export async function markStopRequested(core: CoreV1Api, namespace: string, name: string) {
  try {
    await core.patchNamespacedPod(
      { name, namespace, body: { metadata: { annotations: { [ANNOTATIONS.stopRequested]: 'true' } } } },
      mergePatch,
    );
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
}

/** Polls the pod until `done` says so; resolves with the last pod (null once it is gone). */
export async function waitForPod(
  core: CoreV1Api,
  namespace: string,
  name: string,
  done: (pod: V1Pod | null) => boolean,
  options: { timeoutMs: number; signal?: AbortSignal; intervalMs?: number },
): Promise<{ pod: V1Pod | null; timedOut: boolean }> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    options.signal?.throwIfAborted();
    const pod = await readPod(core, namespace, name);
    if (done(pod)) return { pod, timedOut: false };
    if (Date.now() > deadline) return { pod, timedOut: true };
    await sleep(options.intervalMs ?? 200, undefined, options.signal ? { signal: options.signal } : {});
  }
}
