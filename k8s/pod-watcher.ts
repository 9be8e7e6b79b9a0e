/**
 * Watches tenant pods and reports a lost one (through `events.podLost`, which
 * the worker turns into the `podLost` signal) within about a second when it fails, is evicted or
 * preempted, or vanishes; pods we stop on purpose carry the stop-requested
 * annotation and stay quiet. A periodic resync catches what a broken watch
 * missed. It reports facts only: which pods no workflow wants is decided
 * above the runtime (worker/orphan-sweep.ts).
 */
import { CoreV1Api, type KubeConfig, makeInformer, type Informer, type V1Pod } from '@kubernetes/client-node';
import type { RuntimeEvents } from '../activities/ports.js';
import type { Logger } from '../common/logger.js';
import { AGENT_APP, ANNOTATIONS, LABELS } from './pod-manifest.js';
import * as pods from './pods.js';

export interface PodWatcherDeps {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly logger: Logger;
  /** Where lost pods are reported (the worker turns them into `podLost` signals). */
  readonly events: RuntimeEvents;
  /** @default 60000 */
  readonly resyncMs?: number;
  /** @default 30000 */
  readonly maxBackoffMs?: number;
}

export class PodWatcher {
  private readonly core: CoreV1Api;
  private informer: Informer<V1Pod> | undefined;
  private readonly reported = new Set<string>();
  private backoffMs = 500;
  private resyncTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly deps: PodWatcherDeps) {
    this.core = deps.kubeConfig.makeApiClient(CoreV1Api);
  }

  async start(): Promise<void> {
    const selector = `${LABELS.name}=${AGENT_APP},${LABELS.tenant}`;
    const { namespace } = this.deps;
    const informer = makeInformer<V1Pod>(
      this.deps.kubeConfig,
      `/api/v1/namespaces/${namespace}/pods`,
      () => this.core.listNamespacedPod({ namespace, labelSelector: selector }),
      selector,
    );
    informer.on('add', (pod) => this.observe(pod));
    informer.on('update', (pod) => this.observe(pod));
    informer.on('delete', (pod) => this.lost(pod, 'pod deleted'));
    // The informer relists by itself after 410 Gone but stops on any other error.
    informer.on('error', (error) => this.restart(informer, error));
    this.informer = informer;
    await informer.start();
    const resync = () => {
      this.resyncTimer = setTimeout(
        () => void this.resync().finally(() => !this.stopped && resync()),
        this.deps.resyncMs ?? 60_000,
      );
    };
    resync();
  }

  /** One pending restart at a time, with exponential backoff; a failed start schedules the next. */
  private restart(informer: Informer<V1Pod>, error: unknown): void {
    if (this.stopped || this.restartTimer) return;
    this.deps.logger.warn({ err: error, retryInMs: this.backoffMs }, 'pod watch failed; restarting');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      informer.start().then(
        () => {
          this.backoffMs = 500;
          void this.resync(); // anything the watch missed while it was down
        },
        (failed: unknown) => this.restart(informer, failed),
      );
    }, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, this.deps.maxBackoffMs ?? 30_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.resyncTimer);
    clearTimeout(this.restartTimer);
    await this.informer?.stop();
  }

  /** One pass over every tenant pod for failures the watch missed. Public for tests and operators. */
  async resync(): Promise<void> {
    try {
      const list = await this.core.listNamespacedPod({
        namespace: this.deps.namespace,
        labelSelector: `${LABELS.name}=${AGENT_APP},${LABELS.tenant}`,
      });
      const present = new Set(list.items.map((p) => p.metadata!.uid!));
      for (const uid of this.reported) if (!present.has(uid)) this.reported.delete(uid);
      for (const pod of list.items) this.observe(pod);
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'pod resync failed');
    }
  }

  private observe(pod: V1Pod): void {
    if (pods.isFinished(pod)) {
      const why =
        pod.status?.reason ?? pod.status?.containerStatuses?.[0]?.state?.terminated?.reason ?? 'exited';
      this.lost(pod, `pod ${pod.status?.phase} (${why})`);
    } else if (pods.isTerminating(pod))
      this.lost(pod, 'pod is being deleted (evicted, preempted or removed)');
    // Warm pods restart (a Deployment's pods must): a claimed one would come back warm, without its tenant.
    else if (pod.metadata?.labels?.[LABELS.pool] === 'claimed' && restarts(pod) > 0)
      this.lost(pod, 'claimed warm pod restarted its container');
  }

  private lost(pod: V1Pod, reason: string): void {
    const uid = pod.metadata?.uid ?? '';
    const tenantId = pod.metadata?.labels?.[LABELS.tenant];
    if (!tenantId || pod.metadata?.annotations?.[ANNOTATIONS.stopRequested] || this.reported.has(uid)) return;
    this.reported.add(uid);
    const podId = pods.podIdOf(pod);
    this.deps.logger.warn({ tenantId, podId, reason }, 'tenant pod lost');
    void this.signal(tenantId, podId, reason);
  }

  /** A few quick retries (Temporal briefly unreachable); the next resync reports again otherwise. */
  private async signal(tenantId: string, podId: string, reason: string, attempt = 0): Promise<void> {
    try {
      await this.deps.events.podLost(tenantId, podId, reason);
    } catch (error) {
      if (attempt >= 3) {
        this.deps.logger.error({ err: error, tenantId, podId }, 'podLost signal failed');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
      return this.signal(tenantId, podId, reason, attempt + 1);
    }
  }
}

function restarts(pod: V1Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((sum, c) => sum + c.restartCount, 0);
}
