/**
 * The local runtime driver: each awake tenant is a supervisor process
 * (supervisor/main.ts) on its own loopback address and ports, with its own mode-700
 * directory under `<dataDir>/tenants/<id>`. Implements the runtime port and
 * decides nothing durable:
 *
 * - launch adopts the same pod id, replaces an older one, waits a bounded
 *   time for a place (capacity gate) and resolves when the supervisor reports
 *   its gateway ready; a full host is reported as RuntimeAtCapacityError;
 * - stop drains through the supervisor (final snapshot after OpenClaw has
 *   stopped) and returns that snapshot's manifest for the stop activity to
 *   record; then terminates and sweeps every process of the tenant;
 * - an unexpected exit is reported through `events.podLost`; the dead pod's
 *   directory is kept until its stop, which salvages what it left on disk
 *   into a snapshot and returns it like a drain; a missing pod is success.
 */
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  CallOptions,
  PodSpec,
  PodStatus,
  RuntimeCapacity,
  RuntimeEvents,
  RuntimePort,
} from '../activities/ports.js';
import type { Logger } from '../common/logger.js';
import type { LaunchPlan, Placement } from '../runtime/launch-plan.js';
import type { PodHandle, SnapshotManifest } from '../workflows/types.js';
import { CapacityGate } from '../runtime/capacity-gate.js';
import { LaunchedPod } from './launched-pod.js';
import { LostPods, type Salvage } from './lost-pods.js';
import { MAX_SLOTS, placementOf, SlotTable } from './placement.js';
import { portsAreFree } from './port-check.js';
import { killProcessesOf } from './process-sweep.js';
import { WarmSupervisors } from './warm-supervisors.js';

export type { Salvage } from './lost-pods.js';

export interface LocalRuntimeOptions {
  readonly dataDir: string;
  readonly portBase: number;
  /** Most tenants awake at once (see capacity-gate.ts defaultCapacity). */
  readonly capacity: number;
  /** The supervisor spec and secrets for this pod at this placement. */
  readonly plan: (pod: PodSpec, placement: Placement, rootDir: string) => Promise<LaunchPlan>;
  readonly events: RuntimeEvents;
  readonly salvage: Salvage;
  readonly logger: Logger;
  /** How long a launch waits for a place before it reports the host full. @default 10 s */
  readonly capacityWaitMs?: number;
  /** How long a stop waits for the drain (common/grace.ts `runtimeStopMs`); also for replacing and closing. @default 35 s */
  readonly stopGraceMs?: number;
  /** Idle pre-spawned supervisors kept for the next wakes (warm-supervisors.ts). @default 1 */
  readonly warmSupervisors?: number;
}

export class LocalRuntime implements RuntimePort {
  private readonly pods = new Map<string, LaunchedPod>(); // by tenant id
  private readonly lost: LostPods;
  private readonly slots: SlotTable;
  private readonly gate: CapacityGate;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly warm: WarmSupervisors;
  private closing = false;

  constructor(private readonly options: LocalRuntimeOptions) {
    const capacity = Math.min(options.capacity, MAX_SLOTS);
    this.slots = new SlotTable(MAX_SLOTS);
    this.gate = new CapacityGate(capacity, options.capacityWaitMs);
    this.lost = new LostPods(options.salvage, options.logger);
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

  get maxTenants(): number {
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

  capacity(): Promise<RuntimeCapacity> {
    const pods = [...this.pods.values()].map((p) => ({
      tenantId: p.tenantId,
      podId: p.podId,
      endpoint: p.endpoint,
      state: p.state,
    }));
    return Promise.resolve({ max: this.gate.max, waiting: this.gate.waiting, pods });
  }

  launch(spec: PodSpec, options: CallOptions = {}): Promise<PodHandle> {
    return this.serialized(spec.tenantId, async () => {
      if (this.closing) throw new Error('local runtime is shutting down');
      const current = this.pods.get(spec.tenantId);
      if (current?.podId === spec.podId && current.state !== 'stopping') return current; // adopt
      // Replacing is not a sleep the workflow asked for: whatever it drained is left unrecorded in the
      // store, and the next launch activity records it (the newest complete snapshot wins).
      if (current) await this.stopPod(current, this.options.stopGraceMs ?? 35_000);
      this.lost.forget(spec.tenantId);
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

  stop(handle: PodHandle, options: { graceMs: number } & CallOptions): Promise<SnapshotManifest | null> {
    const deadTenant = this.lost.tenantOf(handle.podId);
    if (deadTenant) return this.serialized(deadTenant, () => this.lost.stop(handle.podId));
    const pod = [...this.pods.values()].find((p) => p.podId === handle.podId);
    if (!pod) return Promise.resolve(null); // missing is success
    return this.serialized(pod.tenantId, () => this.stopPod(pod, options.graceMs));
  }

  describe(handle: PodHandle): Promise<PodStatus> {
    const pod = [...this.pods.values()].find((p) => p.podId === handle.podId);
    return Promise.resolve({ podId: handle.podId, state: pod?.state ?? 'gone' });
  }

  /**
   * Stops every tenant (each drains with a final snapshot, which the next
   * launch activity records), then reports each as lost so its workflow
   * relaunches it on the next worker.
   */
  async close(): Promise<void> {
    this.closing = true;
    await this.warm.close();
    const pods = [...this.pods.values()];
    await Promise.all(pods.map((pod) => this.stopPod(pod, this.options.stopGraceMs ?? 35_000)));
    await Promise.all(
      pods.map((pod) =>
        this.options.events
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

  private async stopPod(pod: LaunchedPod, graceMs: number): Promise<SnapshotManifest | null> {
    const manifest = await pod.stop(graceMs);
    await pod.closed;
    return manifest;
  }

  private async onExit(pod: LaunchedPod, slot: number, info: { code: number | null; signal: string | null }) {
    const { events, logger } = this.options;
    const unexpected = pod.state !== 'stopping';
    const reason = info.signal
      ? `supervisor killed by ${info.signal}`
      : `supervisor exited with code ${info.code}`;
    try {
      if (unexpected) {
        logger.warn({ tenantId: pod.tenantId, podId: pod.podId, reason }, 'tenant process lost');
        const swept = killProcessesOf(pod.rootDir).catch(() => undefined);
        this.lost.add(pod, swept);
        // Report at once: the workflow's stop of this pod waits for the sweep before it salvages.
        if (!this.closing)
          void events
            .podLost(pod.tenantId, pod.podId, reason)
            .catch((err: unknown) => logger.error({ err, podId: pod.podId }, 'podLost not sent'));
        await swept; // the slot's ports and the place come back only once every process is gone
      }
    } finally {
      if (this.pods.get(pod.tenantId) === pod) this.pods.delete(pod.tenantId);
      this.slots.release(slot);
      this.gate.release();
      pod.markClosed(reason);
    }
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
