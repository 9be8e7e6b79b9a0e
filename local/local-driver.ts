/**
 * The local driver: each awake tenant is a supervisor process
 * (supervisor/main.ts) on its own loopback address and ports, with its own
 * mode-700 directory under `<dataDir>/tenants/<id>`. It starts supervisors
 * (claiming a warm one when it can), watches them, ends them, and reports an
 * unexpected exit through `events.podLost` at once. Launch-or-adopt,
 * replacing and draining are the lifecycle core's (runtime/pod-lifecycle.ts).
 *
 * A dead pod's directory is kept until its stop, which salvages what it left
 * into a snapshot and returns it (the stop activity records it).
 *
 * An idle pod can be paused: every process of it frozen in the cgroup
 * freezer (pod-freezer.ts), keeping its place, slot and memory until it is
 * resumed or stopped.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type {
  CallOptions,
  PodHandle,
  PodSpec,
  ResumeOptions,
  RuntimeCapacity,
  RuntimeEvents,
  SnapshotManifest,
} from '../activities/ports.js';
import type { Logger } from '../common/logger.js';
import { CapacityGate } from '../runtime/capacity-gate.js';
import type { RuntimeDriver } from '../runtime/driver.js';
import type { LaunchPlan, Placement } from '../runtime/launch-plan.js';
import { keepBeating } from '../common/runtime-heartbeat.js';
import { LaunchedPod } from './launched-pod.js';
import {
  isServing,
  killGroup,
  removePodRecord,
  tenantDirs,
  writePodRecord,
  markServed,
  wasServed,
  type PodRecord,
} from './pod-record.js';
import { prepareTenantDir } from './tenant-dir.js';
import { isSameProcess } from './process-identity.js';
import type { Heartbeat } from './supervisor-process.js';
import { LostPods, type Salvage } from './lost-pods.js';
import { freeSlot, MAX_SLOTS, placementOf, SlotTable } from './placement.js';
import { killProcessesOf, processesMentioning } from './process-sweep.js';
import { freezerAvailable, PodFreezer } from './pod-freezer.js';
import { WarmSupervisors } from './warm-supervisors.js';
import { SlotSandboxes, type LocalSandboxSettings } from './sandbox/slot-sandboxes.js';
import type { TenantSandbox } from './sandbox/tenant-sandbox.js';
import { WarmSandboxes } from './sandbox/warm-sandboxes.js';
import { startSandboxed } from './sandbox/sandboxed-start.js';
import { TenantDisks } from './sandbox/tenant-disks.js';
import { isolationLine, removeSandboxFacts, writeSandboxFacts } from './sandbox/sandbox-view.js';

export interface LocalDriverOptions {
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
  /** Pods may be paused (frozen in memory) when the host has a cgroup freezer. @default true */
  readonly pausing?: boolean;
  /** Idle pre-spawned supervisors kept for the next wakes (warm-supervisors.ts). @default 1 */
  readonly warmSupervisors?: number;
  /**
   * How long supervisors keep serving without a runtime (a worker restart)
   * before they drain themselves; a runtime started within it adopts them.
   * @default 60 s
   */
  readonly adoptWindowMs?: number;
  /**
   * Every tenant in its own sandbox (local/sandbox/). Absent means unsandboxed,
   * which only the explicit setting `CLAWFLEET_LOCAL_SANDBOX=off` chooses.
   */
  readonly sandbox?: LocalSandboxSettings;
}

/** A thawed supervisor answers within this, or the resume fails (and the workflow launches cold). */
const RESUME_CHECK_MS = 2_000;

export class LocalDriver implements RuntimeDriver<LaunchedPod> {
  readonly pods = new Map<string, LaunchedPod>(); // by tenant id
  /** The sandbox of each sandboxed pod, by pod id. */
  readonly sandboxes = new Map<string, TenantSandbox>();
  readonly slotSandboxes: SlotSandboxes | undefined;
  /** Sandboxed tenants' disk budgets (tenant-disks.ts). */
  private readonly disks: TenantDisks | undefined;
  readonly gate: CapacityGate;
  readonly warm: WarmSupervisors;
  readonly warmSandboxes: WarmSandboxes | undefined;
  private readonly lost: LostPods;
  private readonly slots = new SlotTable(MAX_SLOTS);
  private readonly heartbeat: Heartbeat;
  private stopBeating: (() => void) | undefined;
  /** When each paused pod was paused, by pod id. */
  private readonly pausedAt = new Map<string, number>();
  readonly canPause: boolean;
  closing = false;

  constructor(private readonly options: LocalDriverOptions) {
    this.gate = new CapacityGate(Math.min(options.capacity, MAX_SLOTS), options.capacityWaitMs);
    this.lost = new LostPods(options.salvage, options.logger);
    this.heartbeat = {
      file: join(options.dataDir, 'runtime.heartbeat'),
      windowMs: options.adoptWindowMs ?? 60_000,
    };
    this.slotSandboxes = options.sandbox && new SlotSandboxes(options.sandbox, options.dataDir);
    this.canPause = (options.pausing ?? true) && freezerAvailable();
    this.disks =
      options.sandbox && new TenantDisks(join(options.dataDir, 'disks'), join(options.dataDir, 'tenants'));
    const logFile = join(options.dataDir, 'warm-supervisors.log');
    const size = options.warmSupervisors ?? 1;
    // Sandboxed, the pool is of pre-built sandboxes, each with its warm process inside (warm-sandboxes.ts).
    this.warm = new WarmSupervisors({
      size: this.slotSandboxes ? 0 : size,
      dataDir: options.dataDir,
      logFile,
      heartbeat: this.heartbeat,
    });
    this.warmSandboxes =
      this.slotSandboxes &&
      new WarmSandboxes({
        size,
        sandboxes: this.slotSandboxes,
        slots: this.slots,
        portBase: options.portBase,
        dataDir: options.dataDir,
        logFile,
        heartbeat: this.heartbeat,
        logger: options.logger,
      });
  }

  /** Tops up the warm pool (idle processes, or pre-built sandboxes). */
  fillWarm(): void {
    this.warm.fill();
    this.warmSandboxes?.fill();
  }

  async closeWarm(): Promise<void> {
    await Promise.all([this.warm.close(), this.warmSandboxes?.close()]);
  }

  /** The data dir exists and the heartbeat every supervisor watches is beating. */
  async beat(): Promise<void> {
    await mkdir(this.options.dataDir, { recursive: true, mode: 0o700 });
    this.stopBeating ??= keepBeating(this.heartbeat.file);
  }

  /** After the last supervisor is stopped: the ones that remain (none, on a clean close) drain within the window. */
  stopHeartbeat(): void {
    this.stopBeating?.();
    this.stopBeating = undefined;
  }

  /**
   * Takes over the supervisors an earlier runtime on this data dir left
   * serving (a worker restart): each tenant dir whose record names a live,
   * ready supervisor becomes a pod again, with its slot and its place; every
   * other leftover process of a tenant dir is killed. Returns the adopted pods.
   */
  async adoptRunning(): Promise<LaunchedPod[]> {
    await this.beat();
    const adopted: LaunchedPod[] = [];
    await this.disks?.mountAll();
    for (const { rootDir, record } of await tenantDirs(this.options.dataDir)) {
      // A pod paused by the earlier runtime is thawed: adopted ready, its workflow's resume finds it so.
      if (record)
        await this.freezerOf(record.tenantId)
          .thaw()
          .catch(() => undefined);
      const refusal = record ? await this.whyNotAdoptable(record) : null;
      if (record && refusal === null) {
        const pod = LaunchedPod.adopt(record, rootDir, this.options.logger);
        if (this.slotSandboxes)
          this.watchSandbox(pod, await this.slotSandboxes.adopt(record.slot, record.tier));
        this.gate.occupy();
        this.pods.set(pod.tenantId, pod);
        this.disks?.hold(pod.tenantId, pod.podId);
        void pod.process.exited.then((info) => this.onExit(pod, record.slot, info));
        adopted.push(pod);
        this.options.logger.info(
          { tenantId: pod.tenantId, podId: pod.podId, pid: record.pid },
          'tenant process adopted',
        );
        continue;
      }
      if (record) {
        this.options.logger.warn({ tenantId: record.tenantId, podId: record.podId, refusal }, 'not adopted');
        if (isSameProcess(record.pid, record.startTime)) killGroup(record.pid);
      }
      const swept = killProcessesOf(rootDir);
      // A pod that served and died while no runtime watched: its workflow's stop salvages what it left.
      if (record && !this.pods.has(record.tenantId) && (await wasServed(rootDir))) {
        this.lost.add(LaunchedPod.adopt(record, rootDir, this.options.logger), swept);
        this.disks?.hold(record.tenantId, record.podId);
      } else await removePodRecord(rootDir);
      await swept;
      // Nothing of it runs and nothing will salvage it: a disk an earlier runtime left mounted is released.
      if (!this.disks?.isHeld(basename(rootDir))) await this.disks?.release(rootDir);
    }
    // A pre-built sandbox of a runtime that died may still have its tenant's dir mounted (slot-mount.ts).
    await this.slotSandboxes?.releaseMounts(this.slots);
    return adopted;
  }

  /** Null when the record names a live, ready supervisor whose slot is free; else why not. */
  private async whyNotAdoptable(record: PodRecord): Promise<string | null> {
    if (this.pods.has(record.tenantId)) return 'the tenant has a pod already';
    if (!isSameProcess(record.pid, record.startTime)) return 'its process is gone';
    if (!(await isServing(record))) return 'it does not answer ready';
    if (!this.slots.claim(record.slot)) return `slot ${record.slot} is taken`;
    return null;
  }

  podsOf(tenantId: string): Promise<readonly LaunchedPod[]> {
    const pod = this.pods.get(tenantId);
    return Promise.resolve(pod ? [pod] : []);
  }

  find(podId: string): Promise<LaunchedPod | null> {
    const live = [...this.pods.values()].find((p) => p.podId === podId);
    return Promise.resolve(live ?? this.lost.get(podId) ?? null);
  }

  async start(spec: PodSpec, options: CallOptions): Promise<LaunchedPod> {
    if (this.closing) throw new Error('local runtime is shutting down');
    await this.beat();
    // The workflow stops a lost pod (salvage) before it relaunches; leftovers of one it did not are dropped.
    this.lost.forget(spec.tenantId);
    await this.gate.acquire(options.signal);
    try {
      return await this.spawn(spec);
    } catch (error) {
      this.gate.release();
      throw error;
    }
  }

  async ready(pod: LaunchedPod, _spec: PodSpec, options: CallOptions): Promise<PodHandle> {
    const handle = await pod.whenReady(options.signal);
    // Durable before the workflow hears "ready": a runtime that dies right after must still salvage this state.
    if (this.pods.get(pod.tenantId) === pod) await markServed(pod.rootDir);
    return { ...handle, isolation: isolationLine(this.sandboxes.get(pod.podId)?.facts() ?? null) };
  }

  beginStop(pod: LaunchedPod): Promise<void> {
    pod.beginStop();
    return Promise.resolve();
  }

  async remove(pod: LaunchedPod, graceMs: number): Promise<SnapshotManifest | null> {
    if (this.lost.has(pod.podId)) {
      // The salvage reads the state from the tenant's disk: unmounted only after it.
      const manifest = await this.lost.stop(pod.podId);
      await this.releaseDisk(pod.tenantId, pod.podId);
      return manifest;
    }
    // A frozen process does not act on SIGTERM or SIGKILL until it is thawed.
    if (this.pausedAt.delete(pod.podId)) await this.freezerOf(pod.tenantId).thaw();
    await pod.terminate(graceMs);
    await pod.closed;
    return null;
  }

  capacity(): Promise<RuntimeCapacity> {
    const pods = [...this.pods.values()].map((p) => ({
      tenantId: p.tenantId,
      podId: p.podId,
      endpoint: p.endpoint,
      state: p.state,
      ...(this.pausedAt.has(p.podId) && { pausedAt: new Date(this.pausedAt.get(p.podId)!).toISOString() }),
    }));
    return Promise.resolve({ max: this.gate.max, waiting: this.gate.waiting, pods });
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
   * drain it could not answer either. `onThawed` runs between the two, so a
   * delivery it starts reaches a running supervisor alongside the check.
   */
  async resume(pod: LaunchedPod, options: ResumeOptions): Promise<void> {
    await this.freezerOf(pod.tenantId).thaw();
    options.onThawed?.();
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

  /** The pod's freezer group: `clawfleet-paused/<data dir hash>-<tenant>` (runtimes of other data dirs keep apart). */
  private freezerOf(tenantId: string): PodFreezer {
    const stack = createHash('sha256').update(this.options.dataDir).digest('hex').slice(0, 8);
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

  private async spawn(spec: PodSpec): Promise<LaunchedPod> {
    const { logger, portBase } = this.options;
    const rootDir = join(this.options.dataDir, 'tenants', spec.tenantId);
    // A pre-built sandbox decides the slot: its process already holds the slot's socket.
    let warm = this.warmSandboxes?.take();
    const { slot, placement } = warm
      ? { slot: warm.slot, placement: placementOf(warm.slot, portBase) }
      : await freeSlot(this.slots, portBase, logger);
    try {
      // Planning (registry, secrets) and clearing the tenant dir are independent: a wake waits for the slower.
      // A pre-built sandbox takes the tenant in meanwhile: its tier's limits at once; its dir bound in by the
      // disk's mount (slot-mount.ts), then owned by the slot's uid once cleared.
      const claimed = warm?.sandbox;
      const bindAt = await claimed?.mount.pointFor(spec.tenantId);
      const [plan] = await Promise.all([
        this.options.plan(spec, placement, rootDir),
        claimed?.setLimits(this.slotSandboxes!.limitsOf(spec.tier)),
        // Leftovers of a runtime that died hard are killed while the disk mounts; the dir is cleared after both.
        Promise.all([killProcessesOf(rootDir), this.mountDisk(spec, bindAt)])
          .then(() => prepareTenantDir(rootDir))
          .then(() => claimed?.own(rootDir)),
      ]);
      const specPath = join(rootDir, 'spec.json');
      await writeFile(specPath, JSON.stringify(plan.spec, null, 2), { mode: 0o600 });
      const input = {
        spec,
        plan,
        rootDir,
        specPath,
        logFile: join(rootDir, 'logs', 'supervisor.log'),
        logger,
        heartbeat: this.heartbeat,
      };
      const taken = warm;
      warm = undefined; // from here startSandboxed owns it
      const { pod, sandbox } = this.slotSandboxes
        ? await startSandboxed({
            sandboxes: this.slotSandboxes,
            pool: this.warmSandboxes!,
            heartbeatFile: this.heartbeat.file,
            slot,
            launch: input,
            warm: taken,
          })
        : { pod: await LaunchedPod.start(input, this.warm.take()), sandbox: undefined };
      if (sandbox) this.watchSandbox(pod, sandbox);
      this.pods.set(spec.tenantId, pod);
      const { pid, startTime } = pod.process;
      if (pid !== undefined && startTime !== null)
        await writePodRecord(rootDir, { ...spec, slot, endpoint: pod.endpoint, pid, startTime });
      // Replace the claimed process once this wake is served, not while OpenClaw is starting.
      void pod.whenReady().then(
        () => this.fillWarm(),
        () => this.fillWarm(),
      );
      void pod.process.exited.then((info) => this.onExit(pod, slot, info));
      logger.info(
        { tenantId: spec.tenantId, podId: spec.podId, host: placement.host },
        'tenant process started',
      );
      return pod;
    } catch (error) {
      if (warm) await this.warmSandboxes?.dismiss(warm);
      await this.releaseDisk(spec.tenantId, spec.podId);
      this.slots.release(slot);
      throw error;
    }
  }

  /** At close, after every pod stopped: the disks of lost pods too (the next runtime mounts them again). */
  async releaseDisks(): Promise<void> {
    await this.disks?.releaseAll();
  }

  /** The tenant's dir becomes its disk budget (tenant-disks.ts), held by this pod until its stop is done. */
  private async mountDisk(spec: PodSpec, alsoAt: string | undefined): Promise<void> {
    const bytes = this.slotSandboxes?.limitsOf(spec.tier).diskBytes;
    if (bytes !== undefined) await this.disks?.mountFor(spec.tenantId, spec.podId, bytes, alsoAt);
  }

  private async releaseDisk(tenantId: string, podId: string): Promise<void> {
    await this.disks
      ?.releaseFor(tenantId, podId)
      .catch((err: unknown) => this.options.logger.warn({ err, tenantId }, 'tenant disk not unmounted'));
  }

  /** Keeps the pod's sandbox with it, for `tenant get` and the OOM watch (tenant-sandbox.ts). */
  private watchSandbox(pod: LaunchedPod, sandbox: TenantSandbox): void {
    this.sandboxes.set(pod.podId, sandbox);
    void writeSandboxFacts(this.options.dataDir, pod.tenantId, sandbox.facts()).catch(() => undefined);
    sandbox.endWhenOutOfMemory(pod.process.exited, (kills) =>
      this.options.logger.warn(
        { tenantId: pod.tenantId, podId: pod.podId, kills },
        'out of memory: tenant ended',
      ),
    );
  }

  private async onExit(pod: LaunchedPod, slot: number, info: { code: number | null; signal: string | null }) {
    const { events, logger } = this.options;
    const unexpected = pod.state !== 'stopping';
    const sandbox = this.sandboxes.get(pod.podId);
    const outOfMemory = sandbox !== undefined && (await sandbox.cgroup.oomKills()) > 0;
    const reason = outOfMemory
      ? 'out-of-memory'
      : info.signal
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
      // Whatever is left in the sandbox (a process that left the tenant's sessions) ends with it.
      await sandbox?.close();
      if (sandbox) await removeSandboxFacts(this.options.dataDir, pod.tenantId).catch(() => undefined);
      // A lost pod keeps its disk mounted for the salvage its stop does (remove).
      if (!unexpected) await this.releaseDisk(pod.tenantId, pod.podId);
    } finally {
      this.sandboxes.delete(pod.podId);
      this.pausedAt.delete(pod.podId);
      await this.freezerOf(pod.tenantId).remove();
      if (this.pods.get(pod.tenantId) === pod) {
        this.pods.delete(pod.tenantId);
        await removePodRecord(pod.rootDir).catch(() => undefined);
      }
      this.slots.release(slot);
      this.gate.release();
      pod.markClosed(reason);
    }
  }
}
