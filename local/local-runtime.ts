/**
 * The local runtime: each awake tenant is a supervisor process (pod/main.ts)
 * on its own loopback address and ports, with its own mode-700 directory
 * under `<dataDir>/tenants/<id>`. Implements the runtime port:
 *
 * - launch adopts the same pod id, replaces an older one, waits for a place
 *   (capacity gate, idle tenants put to sleep first) and resolves when the
 *   supervisor reports its gateway ready;
 * - stop drains through the supervisor (final snapshot after OpenClaw has
 *   stopped, recorded through `hooks.snapshotTaken`), then terminates and
 *   sweeps every process of the tenant; a missing pod is success;
 * - an unexpected exit is reported through `hooks.podLost`, after the state
 *   the dead process left on disk has been salvaged into a snapshot.
 */
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CallOptions, PodSpec, PodStatus, RuntimePort } from '../activities/ports.js';
import type { Logger } from '../common/logger.js';
import type { LaunchPlan, Placement } from '../pod/launch-plan.js';
import type { PodHandle, SnapshotManifest } from '../workflows/types.js';
import { CapacityGate } from './capacity-gate.js';
import { LaunchedPod } from './launched-pod.js';
import { MAX_SLOTS, placementOf, SlotTable } from './placement.js';
import { portsAreFree } from './port-check.js';
import { killProcessesOf } from './process-sweep.js';
import { WarmSupervisors } from './warm-supervisors.js';

export interface RuntimeHooks {
  /** The pod died on its own; the worker signals the tenant workflow. */
  podLost(tenantId: string, podId: string, reason: string): Promise<void>;
  /** A snapshot the runtime caused (drain, salvage): the registry pointer must move to it. */
  snapshotTaken(tenantId: string, manifest: SnapshotManifest): Promise<void>;
  /** Ask a tenant to go to sleep (capacity pressure); its workflow drains it. */
  requestSleep(tenantId: string): Promise<void>;
  /** Save what a dead supervisor left in `stateDir` as a new snapshot; null if there is nothing. */
  salvage(tenantId: string, rootDir: string, openclawVersion: string): Promise<SnapshotManifest | null>;
}

export interface LocalRuntimeOptions {
  readonly dataDir: string;
  readonly portBase: number;
  /** Most tenants awake at once (see capacity-gate.ts defaultCapacity). */
  readonly capacity: number;
  /** The supervisor spec and secrets for this pod at this placement. */
  readonly plan: (pod: PodSpec, placement: Placement, rootDir: string) => Promise<LaunchPlan>;
  readonly hooks: RuntimeHooks;
  readonly logger: Logger;
  /** Grace for stops the runtime starts itself (replacing a pod, closing). @default 30 s */
  readonly stopGraceMs?: number;
  /** Idle pre-spawned supervisors kept for the next wakes (warm-supervisors.ts). @default 1 */
  readonly warmSupervisors?: number;
}

export class LocalRuntime implements RuntimePort {
  private readonly pods = new Map<string, LaunchedPod>(); // by tenant id
  private readonly slots: SlotTable;
  private readonly gate: CapacityGate;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly warm: WarmSupervisors;
  private closing = false;

  constructor(private readonly options: LocalRuntimeOptions) {
    const capacity = Math.min(options.capacity, MAX_SLOTS);
    this.slots = new SlotTable(MAX_SLOTS);
    this.gate = new CapacityGate(capacity, () => this.makeRoom());
    this.warm = new WarmSupervisors({
      size: options.warmSupervisors ?? 1,
      dataDir: options.dataDir,
      logFile: join(options.dataDir, 'warm-supervisors.log'),
    });
  }

  /** Pre-spawn the idle supervisors; the data dir must exist (the worker calls this once at start). */
  async prewarm(): Promise<void> {
    await mkdir(this.options.dataDir, { recursive: true, mode: 0o700 });
    this.warm.fill();
  }

  /** The pid of a tenant's supervisor process while the runtime runs it. */
  supervisorPid(tenantId: string): number | undefined {
    return this.pods.get(tenantId)?.process.pid;
  }

  get capacity(): number {
    return this.gate.max;
  }

  /** The supervisor token of a pod this runtime launched (the agent client's fast path). */
  tokenFor(handle: PodHandle): string | undefined {
    const pod = [...this.pods.values()].find((p) => p.podId === handle.podId);
    return pod?.token;
  }

  /** Tenants awake now, with their pod ids (for reconciliation and `clawfleet status`). */
  awake(): { tenantId: string; podId: string; state: PodStatus['state'] }[] {
    return [...this.pods.values()].map((p) => ({ tenantId: p.tenantId, podId: p.podId, state: p.state }));
  }

  launch(spec: PodSpec, options: CallOptions = {}): Promise<PodHandle> {
    return this.serialized(spec.tenantId, async () => {
      if (this.closing) throw new Error('local runtime is shutting down');
      const current = this.pods.get(spec.tenantId);
      if (current?.podId === spec.podId && current.state !== 'stopping') return current; // adopt
      if (current) await this.stopPod(current, this.options.stopGraceMs ?? 30_000);
      await this.gate.acquire(options.signal);
      let pod: LaunchedPod;
      try {
        pod = await this.start(spec);
      } catch (error) {
        this.gate.release();
        throw error;
      }
      return pod;
    }).then((pod) => pod.whenReady(options.signal));
  }

  stop(handle: PodHandle, options: { graceMs: number } & CallOptions): Promise<void> {
    const pod = [...this.pods.values()].find((p) => p.podId === handle.podId);
    if (!pod) return Promise.resolve(); // missing is success
    return this.serialized(pod.tenantId, () => this.stopPod(pod, options.graceMs));
  }

  describe(handle: PodHandle): Promise<PodStatus> {
    const pod = [...this.pods.values()].find((p) => p.podId === handle.podId);
    return Promise.resolve({ podId: handle.podId, state: pod?.state ?? 'gone' });
  }

  /**
   * Stops every tenant (each drains with a final snapshot), then reports each
   * as lost so its workflow relaunches it on the next worker.
   */
  async close(): Promise<void> {
    this.closing = true;
    await this.warm.close();
    const pods = [...this.pods.values()];
    await Promise.all(pods.map((pod) => this.stopPod(pod, this.options.stopGraceMs ?? 30_000)));
    await Promise.all(
      pods.map((pod) =>
        this.options.hooks
          .podLost(pod.tenantId, pod.podId, 'local runtime shut down')
          .catch((err: unknown) => this.options.logger.warn({ err, podId: pod.podId }, 'podLost not sent')),
      ),
    );
  }

  private async start(spec: PodSpec): Promise<LaunchedPod> {
    const { logger } = this.options;
    const rootDir = join(this.options.dataDir, 'tenants', spec.tenantId);
    const { slot, placement } = await this.freeSlot();
    try {
      // Planning (registry, secrets) and clearing the tenant dir are independent: a wake waits for the slower.
      const [plan] = await Promise.all([
        this.options.plan(spec, placement, rootDir),
        killProcessesOf(rootDir).then(() => prepareTenantDir(rootDir)), // leftovers of a runtime that died hard
      ]);
      const specPath = join(rootDir, 'spec.json');
      await writeFile(specPath, JSON.stringify(plan.spec, null, 2), { mode: 0o600 });
      const pod = LaunchedPod.start(
        { spec, plan, rootDir, specPath, logFile: join(rootDir, 'logs', 'supervisor.log'), logger },
        this.warm.take(),
      );
      this.pods.set(spec.tenantId, pod);
      // Replace the claimed process once this wake is served, not while OpenClaw is starting.
      void pod.whenReady().then(
        () => this.warm.fill(),
        () => this.warm.fill(),
      );
      void pod.process.exited.then((info) => this.onExit(pod, slot, info));
      logger.info(
        { tenantId: spec.tenantId, podId: spec.podId, host: placement.host },
        'tenant process started',
      );
      return pod;
    } catch (error) {
      this.slots.release(slot);
      throw error;
    }
  }

  private async freeSlot(): Promise<{ slot: number; placement: Placement }> {
    const busy: number[] = [];
    try {
      for (;;) {
        const slot = this.slots.take();
        if (slot === null) throw new Error('no free local slot (all 253 addresses in use)');
        const placement = placementOf(slot, this.options.portBase);
        if (await portsAreFree(placement)) return { slot, placement };
        this.options.logger.warn({ slot, host: placement.host }, 'slot ports busy; skipping it');
        busy.push(slot);
      }
    } finally {
      for (const slot of busy) this.slots.release(slot);
    }
  }

  private async stopPod(pod: LaunchedPod, graceMs: number): Promise<void> {
    const manifest = await pod.stop(graceMs);
    if (manifest) await this.options.hooks.snapshotTaken(pod.tenantId, manifest);
    await pod.closed;
  }

  private async onExit(pod: LaunchedPod, slot: number, info: { code: number | null; signal: string | null }) {
    const { hooks, logger } = this.options;
    const unexpected = pod.state !== 'stopping';
    const reason = info.signal
      ? `supervisor killed by ${info.signal}`
      : `supervisor exited with code ${info.code}`;
    try {
      if (unexpected) {
        logger.warn({ tenantId: pod.tenantId, podId: pod.podId, reason }, 'tenant process lost');
        await killProcessesOf(pod.rootDir);
        // Only state that was restored and served is worth keeping; a half-done restore is not.
        if (pod.wasReady) {
          const manifest = await hooks
            .salvage(pod.tenantId, pod.rootDir, pod.spec.openclawVersion)
            .catch((err: unknown) => (logger.error({ err, tenantId: pod.tenantId }, 'salvage failed'), null));
          if (manifest) await hooks.snapshotTaken(pod.tenantId, manifest);
        }
      }
    } finally {
      if (this.pods.get(pod.tenantId) === pod) this.pods.delete(pod.tenantId);
      this.slots.release(slot);
      this.gate.release();
      pod.markClosed(reason);
    }
    if (unexpected && !this.closing)
      await hooks
        .podLost(pod.tenantId, pod.podId, reason)
        .catch((err: unknown) => logger.error({ err, podId: pod.podId }, 'podLost not sent'));
  }

  /** Capacity pressure: ask the least recently active idle tenant to sleep. */
  private async makeRoom(): Promise<void> {
    const candidates = [...this.pods.values()].filter((p) => p.state === 'ready');
    const activities = await Promise.all(
      candidates.map(async (pod) => ({ pod, activity: await pod.activity().catch(() => null) })),
    );
    const idle = activities
      .filter(({ activity }) => activity !== null && activity.inFlightRuns === 0)
      .sort((a, b) => a.pod.lastActive(a.activity) - b.pod.lastActive(b.activity));
    const victim = idle[0]?.pod;
    if (!victim) return; // everyone is busy: the wake waits in order
    this.options.logger.info(
      { tenantId: victim.tenantId },
      'host full: putting the least recently active tenant to sleep',
    );
    await this.options.hooks.requestSleep(victim.tenantId);
  }

  /** One launch or stop per tenant at a time (activity retries may overlap). */
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

/** Mode 700, and only `logs/` survives between wakes: the snapshot is the source of truth. */
async function prepareTenantDir(rootDir: string): Promise<void> {
  await mkdir(rootDir, { recursive: true, mode: 0o700 });
  await chmod(rootDir, 0o700);
  for (const sub of ['state', 'work', 'tmp', 'home', 'spec.json'])
    await rm(join(rootDir, sub), { recursive: true, force: true });
  await mkdir(join(rootDir, 'logs'), { recursive: true, mode: 0o700 });
}
