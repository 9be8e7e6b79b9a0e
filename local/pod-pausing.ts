/**
 * Pausing a local pod: every process of it frozen in the cgroup freezer
 * (pod-freezer.ts), keeping its place, slot and memory until it is resumed
 * or stopped. The driver (local-driver.ts) delegates its pause and resume
 * here and asks, when a pod ends, for its group to be thawed or removed.
 */
import { createHash } from 'node:crypto';
import type { ResumeOptions } from '../activities/ports.js';
import type { LaunchedPod } from './launched-pod.js';
import { PodFreezer } from './pod-freezer.js';
import { processesMentioning } from './process-sweep.js';
import type { TenantSandbox } from './sandbox/tenant-sandbox.js';

/** A thawed supervisor answers within this, or the resume fails (and the workflow launches cold). */
const RESUME_CHECK_MS = 2_000;

export class PodPausing {
  /** When each paused pod was paused, by pod id. */
  private readonly pausedAt = new Map<string, number>();

  constructor(
    private readonly dataDir: string,
    /** The sandbox of each sandboxed pod, by pod id: its processes are frozen too. */
    private readonly sandboxes: ReadonlyMap<string, TenantSandbox>,
  ) {}

  /** When the pod was paused (ms since the epoch), or undefined when it is not paused. */
  pausedSince(podId: string): number | undefined {
    return this.pausedAt.get(podId);
  }

  /** Freezes every process of the pod; a freeze that does not complete is thawed again and reported. */
  async pause(pod: LaunchedPod): Promise<void> {
    const freezer = this.freezerOf(pod.tenantId);
    try {
      await freezer.freeze(() => this.processesOf(pod));
    } catch (error) {
      await freezer.thaw().catch(() => undefined);
      throw error;
    }
    pod.state = 'paused';
    this.pausedAt.set(pod.podId, Date.now());
  }

  /**
   * Thaws the pod and checks its supervisor answers ready. One that does not
   * stays `paused` for the core: its stop then ends it at once, without a
   * drain it could not answer either.
   */
  async resume(pod: LaunchedPod, options: ResumeOptions): Promise<void> {
    await this.freezerOf(pod.tenantId).thaw();
    options.onThawed?.(); // a delivery started here reaches the running supervisor alongside the check
    const timeout = AbortSignal.timeout(RESUME_CHECK_MS);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const answer = await fetch(`${pod.endpoint}/readyz`, { signal }).catch(
      (error: unknown) => error as Error,
    );
    if (answer instanceof Error || answer.status !== 200)
      throw new Error(
        `pod ${pod.podId} did not answer ready after its thaw: ${answer instanceof Error ? answer.message : answer.status}`,
      );
    this.pausedAt.delete(pod.podId);
    pod.state = 'ready';
  }

  /** Before the pod is ended: a frozen process does not act on SIGTERM or SIGKILL until it is thawed. */
  async thawToEnd(pod: LaunchedPod): Promise<void> {
    if (this.pausedAt.delete(pod.podId)) await this.freezerOf(pod.tenantId).thaw();
  }

  /** A tenant's group an earlier runtime may have left frozen (a worker restart). */
  thawLeftover(tenantId: string): Promise<void> {
    return this.freezerOf(tenantId).thaw();
  }

  /** After the pod ended: its group is removed. */
  async forget(pod: LaunchedPod): Promise<void> {
    this.pausedAt.delete(pod.podId);
    await this.freezerOf(pod.tenantId).remove();
  }

  /** The pod's freezer group: `clawfleet-paused/<data dir hash>-<tenant>` (runtimes of other data dirs keep apart). */
  private freezerOf(tenantId: string): PodFreezer {
    const stack = createHash('sha256').update(this.dataDir).digest('hex').slice(0, 8);
    return new PodFreezer(`clawfleet-paused/${stack}-${tenantId}`);
  }

  /** Every process of the pod: its supervisor, whatever carries its directory, and its sandbox's. */
  private async processesOf(pod: LaunchedPod): Promise<number[]> {
    const [mentioning, sandboxed] = await Promise.all([
      processesMentioning(pod.rootDir),
      this.sandboxes.get(pod.podId)?.cgroup.pids() ?? [],
    ]);
    const own = pod.process.pid === undefined ? [] : [pod.process.pid];
    return [...new Set([...own, ...mentioning, ...sandboxed])];
  }
}
