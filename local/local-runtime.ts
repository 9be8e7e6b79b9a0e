/**
 * The local runtime as the worker uses it: the lifecycle core
 * (runtime/pod-lifecycle.ts) over the local driver (local-driver.ts), plus
 * what only a host runtime has: the warm supervisor pool, and a shutdown
 * that drains every tenant and reports each as lost, so its workflow
 * relaunches it on the next worker.
 */
import type { PodHandle, PodStatus, RuntimeEvents } from '../activities/ports.js';
import type { Logger } from '../common/logger.js';
import { PodLifecycle } from '../runtime/pod-lifecycle.js';
import { SupervisorAgentClient } from '../runtime/supervisor-client.js';
import type { Drain } from '../runtime/driver.js';
import type { LaunchedPod } from './launched-pod.js';
import { LocalDriver, type LocalDriverOptions } from './local-driver.js';
import type { TenantSandbox } from './sandbox/tenant-sandbox.js';
import type { WarmSandbox } from './sandbox/warm-sandboxes.js';

export type { Salvage } from './lost-pods.js';

export interface LocalRuntimeOptions extends LocalDriverOptions {
  /** How long a stop waits for the drain (common/grace.ts `runtimeStopMs`); also for replacing and closing. @default 35 s */
  readonly stopGraceMs?: number;
  /** The supervisor client's drain; by default one with the tokens of the pods this runtime launched. */
  readonly drain?: Drain;
}

export class LocalRuntime extends PodLifecycle<LaunchedPod> {
  private readonly local: LocalDriver;
  private readonly events: RuntimeEvents;
  private readonly stopGraceMs: number;
  private readonly logger: Logger;

  constructor(options: LocalRuntimeOptions) {
    const driver = new LocalDriver(options);
    const stopGraceMs = options.stopGraceMs ?? 35_000;
    const tokens = new SupervisorAgentClient({
      token: (handle) => tokenOf(driver, handle) ?? Promise.reject(new Error(`no token for ${handle.podId}`)),
    });
    super(driver, {
      drain: options.drain ?? ((handle, call) => tokens.drain(handle, call)),
      replaceGraceMs: stopGraceMs,
      logger: options.logger,
    });
    this.local = driver;
    this.events = options.events;
    this.stopGraceMs = stopGraceMs;
    this.logger = options.logger;
  }

  /** Pre-spawn the idle supervisors; the data dir must exist (the worker calls this once at start). */
  async prewarm(): Promise<void> {
    await this.local.beat();
    // The sandbox's preflight at start: a missing primitive is one error line now, and every launch refuses with it.
    await this.local.slotSandboxes
      ?.check()
      .catch((err: unknown) => this.logger.error((err as Error).message));
    this.local.fillWarm();
  }

  /**
   * Takes over the supervisors the previous runtime on this data dir left
   * serving (a worker restart or deploy), so awake tenants stay awake with the
   * same pods; returns their pod ids. Call once at start, before any launch.
   */
  async adoptRunning(): Promise<string[]> {
    return (await this.local.adoptRunning()).map((pod) => pod.podId);
  }

  /** The pre-built sandboxes waiting for a wake, each with its warm process (sandboxed runtimes only). */
  prebuiltSandboxes(): readonly WarmSandbox[] {
    return this.local.warmSandboxes?.waiting ?? [];
  }

  /** The pid of a tenant's supervisor process while the runtime runs it. */
  supervisorPid(tenantId: string): number | undefined {
    return this.local.pods.get(tenantId)?.process.pid;
  }

  /** The sandbox of a tenant's pod while the runtime runs it; undefined when it is not awake or runs unsandboxed. */
  sandboxOf(tenantId: string): TenantSandbox | undefined {
    const pod = this.local.pods.get(tenantId);
    return pod && this.local.sandboxes.get(pod.podId);
  }

  get maxTenants(): number {
    return this.local.gate.max;
  }

  /** The supervisor token of a pod this runtime launched (the agent client's fast path). */
  tokenFor(handle: PodHandle): string | undefined {
    return tokenOf(this.local, handle);
  }

  /** Tenants awake now, with their pod ids (for reconciliation and `clawfleet status`). */
  awake(): { tenantId: string; podId: string; state: PodStatus['state'] }[] {
    return [...this.local.pods.values()].map((p) => ({
      tenantId: p.tenantId,
      podId: p.podId,
      state: p.state,
    }));
  }

  /**
   * A planned restart (a deploy): leaves every tenant serving for the next
   * worker, which adopts them within the adoption window; without one they
   * drain themselves after it (local/release-tenants.ts ends a stack at once).
   */
  async handOver(): Promise<void> {
    this.local.closing = true;
    await this.local.closeWarm();
    this.local.stopHeartbeat();
    this.local.slotSandboxes?.egressKeeper.detach(); // it serves on: the tenants' way out during the restart
    this.logger.info({ tenants: this.local.pods.size }, 'tenants handed over to the next worker');
  }

  /**
   * Stops every tenant (each drains with a final snapshot, which the next
   * launch activity records), then reports each as lost so its workflow
   * relaunches it on the next worker.
   */
  async close(): Promise<void> {
    this.local.closing = true;
    await this.local.closeWarm();
    const pods = [...this.local.pods.values()];
    await this.stopAll(this.stopGraceMs);
    await this.local.releaseDisks();
    await this.local.slotSandboxes?.egressKeeper.stop();
    this.local.stopHeartbeat();
    await Promise.all(
      pods.map((pod) =>
        this.events
          .podLost(pod.tenantId, pod.podId, 'local runtime shut down')
          .catch((err: unknown) => this.logger.warn({ err, podId: pod.podId }, 'podLost not sent')),
      ),
    );
  }
}

function tokenOf(driver: LocalDriver, handle: PodHandle): string | undefined {
  return [...driver.pods.values()].find((p) => p.podId === handle.podId)?.token;
}
