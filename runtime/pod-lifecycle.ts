/**
 * The one lifecycle core of both runtimes. It implements the runtime port
 * over a driver (driver.ts) and owns every decision about a tenant's pods
 * that is the same wherever they run:
 *
 * - launch adopts the pod of the same generation, and first stops (drains)
 *   any other pod of the tenant: two gateways of one tenant would fight over
 *   its Telegram webhook and its snapshots;
 * - stop announces itself to the driver, drains through the supervisor (the
 *   final snapshot after OpenClaw stopped), then has the driver remove the
 *   pod, and returns the drain's manifest (or what a dead pod left) for the
 *   stop activity to record; a missing pod is success;
 * - pause freezes a ready pod and resume thaws it (drivers that can), both
 *   idempotent; a pod that is not there to resume is an error the workflow
 *   answers with a cold launch;
 * - one launch, stop, pause or resume per tenant at a time, since activity retries overlap.
 *
 * Nothing here is durable: the manifest goes back to the caller, and a pod
 * drained while being replaced leaves its snapshot unrecorded in the store,
 * where the next launch activity finds it (the newest complete one wins).
 */
import type {
  CallOptions,
  PodHandle,
  PodSpec,
  PodStatus,
  ResumeOptions,
  RuntimeCapacity,
  RuntimePod,
  RuntimePort,
  SnapshotManifest,
} from '../activities/ports.js';
import type { Logger } from '../common/logger.js';
import type { Drain, RuntimeDriver } from './driver.js';

export interface PodLifecycleOptions {
  /** The supervisor client's drain; without it a stop only removes the pod (its own SIGTERM drain is unrecorded). */
  readonly drain?: Drain;
  /** How long replacing an older generation may drain it (common/grace.ts `runtimeStopMs`). */
  readonly replaceGraceMs: number;
  readonly logger: Logger;
}

/** Pod ids are `<tenantId>-<generation>` (workflows/shared.ts). */
export function tenantOfPod(podId: string): string {
  return podId.replace(/-\d+$/, '');
}

export class PodLifecycle<P extends RuntimePod> implements RuntimePort {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    protected readonly driver: RuntimeDriver<P>,
    private readonly lifecycle: PodLifecycleOptions,
  ) {}

  launch(spec: PodSpec, options: CallOptions = {}): Promise<PodHandle> {
    return this.serialized(spec.tenantId, async () => {
      const existing = await this.driver.podsOf(spec.tenantId);
      const mine = existing.find((p) => p.podId === spec.podId && isLive(p));
      for (const other of existing)
        if (other !== mine)
          await this.stopPod(other, { graceMs: this.lifecycle.replaceGraceMs, ...options }, 'replaced');
      return mine ?? (await this.driver.start(spec, options));
    }).then((pod) => this.driver.ready(pod, spec, options)); // outside the lock: a stop must not wait for a start
  }

  async stop(
    handle: PodHandle,
    options: { graceMs: number } & CallOptions,
  ): Promise<SnapshotManifest | null> {
    return this.serialized(tenantOfPod(handle.podId), async () => {
      const pod = await this.driver.find(handle.podId);
      return pod ? this.stopPod(pod, options, 'stopped') : null; // missing is success
    });
  }

  async describe(handle: PodHandle): Promise<PodStatus> {
    const pod = await this.driver.find(handle.podId);
    return { podId: handle.podId, state: pod?.state ?? 'gone' };
  }

  capacity(): Promise<RuntimeCapacity> {
    return this.driver.capacity();
  }

  pause(handle: PodHandle): Promise<boolean> {
    const { driver } = this;
    if (!driver.canPause || !driver.pause) return Promise.resolve(false);
    return this.serialized(tenantOfPod(handle.podId), async () => {
      const pod = await driver.find(handle.podId);
      if (pod?.state === 'paused') return true;
      if (pod?.state !== 'ready') throw new Error(`cannot pause ${handle.podId}: ${pod?.state ?? 'gone'}`);
      await driver.pause!(pod);
      this.lifecycle.logger.info({ tenantId: pod.tenantId, podId: pod.podId }, 'pod paused');
      return true;
    });
  }

  resume(handle: PodHandle, options: ResumeOptions = {}): Promise<PodHandle> {
    return this.serialized(tenantOfPod(handle.podId), async () => {
      const pod = await this.driver.find(handle.podId);
      // The same pod: what its launch reported (its isolation) still holds.
      if (pod?.state === 'ready') {
        options.onThawed?.(); // resumed already (a retried activity): it runs
        return { ...handle, podId: pod.podId, endpoint: pod.endpoint };
      }
      if (pod?.state !== 'paused' || !this.driver.resume)
        throw new Error(`cannot resume ${handle.podId}: ${pod?.state ?? 'gone'}`);
      await this.driver.resume(pod, options);
      this.lifecycle.logger.info({ tenantId: pod.tenantId, podId: pod.podId }, 'pod resumed');
      return { ...handle, podId: pod.podId, endpoint: pod.endpoint };
    });
  }

  /** Stops every pod the driver holds, each with its drain (a runtime shutting down with its host). */
  protected async stopAll(graceMs: number): Promise<void> {
    const { pods } = await this.driver.capacity();
    await Promise.all(pods.map((pod) => this.stop(pod, { graceMs }).catch(() => null)));
  }

  private async stopPod(
    pod: P,
    options: { graceMs: number } & CallOptions,
    why: 'stopped' | 'replaced',
  ): Promise<SnapshotManifest | null> {
    // A paused pod took its snapshot before it froze and has done nothing since: it is removed without a drain.
    const wasServing = pod.state === 'ready';
    await this.driver.beginStop(pod);
    const drained = wasServing ? await this.drain(pod, options) : null;
    const left = await this.driver.remove(pod, options.graceMs, options);
    this.lifecycle.logger.info(
      {
        tenantId: pod.tenantId,
        podId: pod.podId,
        drained: drained?.seq ?? null,
        salvaged: left?.seq ?? null,
      },
      `pod ${why}`,
    );
    return drained ?? left;
  }

  /** A pod that cannot drain (unreachable, already stopping) is removed anyway; its SIGTERM drain is unrecorded. */
  private async drain(pod: P, options: { graceMs: number } & CallOptions): Promise<SnapshotManifest | null> {
    if (!this.lifecycle.drain) return null;
    const timeout = AbortSignal.timeout(options.graceMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      return await this.lifecycle.drain({ podId: pod.podId, endpoint: pod.endpoint }, { signal });
    } catch (err) {
      this.lifecycle.logger.warn({ err, podId: pod.podId }, 'drain failed; removing the pod anyway');
      return null;
    }
  }

  private serialized<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(tenantId) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(tenantId, tail);
    void tail.then(() => {
      if (this.locks.get(tenantId) === tail) this.locks.delete(tenantId);
    });
    return run;
  }
}

function isLive(pod: RuntimePod): boolean {
  return pod.state === 'starting' || pod.state === 'ready';
}
