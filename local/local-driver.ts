/**
 * The local driver: each awake tenant is a supervisor process
 * (supervisor/main.ts) on its own loopback address and ports, with its own
 * mode-700 directory under `<dataDir>/tenants/<id>`. It starts supervisors
 * (pod-spawn.ts, claiming a warm one when it can), watches them, ends them,
 * and reports an unexpected exit through `events.podLost` at once.
 * Launch-or-adopt, replacing and draining are the lifecycle core's
 * (runtime/pod-lifecycle.ts); after a worker restart it adopts the
 * supervisors left serving (pod-adoption.ts).
 *
 * A dead pod's directory is kept until its stop, which salvages what it left
 * into a snapshot and returns it (the stop activity records it).
 *
 * An idle pod can be paused: every process of it frozen in the cgroup
 * freezer (pod-pausing.ts), keeping its place, slot and memory until it is
 * resumed or stopped.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  CallOptions,
  PodHandle,
  PodSpec,
  ResumeOptions,
  RuntimeCapacity,
  SnapshotManifest,
} from '../activities/ports.js';
import { CapacityGate } from '../runtime/capacity-gate.js';
import type { RuntimeDriver } from '../runtime/driver.js';
import { keepBeating } from '../common/runtime-heartbeat.js';
import type { LaunchedPod } from './launched-pod.js';
import { markServed } from './pod-record.js';
import type { Heartbeat } from './supervisor-process.js';
import { LostPods } from './lost-pods.js';
import { MAX_SLOTS, SlotTable } from './placement.js';
import { freezerAvailable } from './pod-freezer.js';
import { PodPausing } from './pod-pausing.js';
import { adoptRunning } from './pod-adoption.js';
import { spawnPod } from './pod-spawn.js';
import { PodWatch } from './pod-watch.js';
import { WarmSupervisors } from './warm-supervisors.js';
import { SlotSandboxes } from './sandbox/slot-sandboxes.js';
import type { LocalDriverOptions } from './local-driver-options.js';
import type { TenantSandbox } from './sandbox/tenant-sandbox.js';
import { WarmSandboxes } from './sandbox/warm-sandboxes.js';
import { PodDisks } from './sandbox/pod-disks.js';
import { isolationLine } from './sandbox/sandbox-view.js';

export type { LocalDriverOptions } from './local-driver-options.js';

export class LocalDriver implements RuntimeDriver<LaunchedPod> {
  readonly pods = new Map<string, LaunchedPod>(); // by tenant id
  /** The sandbox of each sandboxed pod, by pod id. */
  readonly sandboxes = new Map<string, TenantSandbox>();
  readonly slotSandboxes: SlotSandboxes | undefined;
  /** Sandboxed tenants' disk budgets (pod-disks.ts). */
  private readonly disks: PodDisks;
  readonly gate: CapacityGate;
  readonly warm: WarmSupervisors;
  readonly warmSandboxes: WarmSandboxes | undefined;
  private readonly lost: LostPods;
  private readonly slots = new SlotTable(MAX_SLOTS);
  private readonly heartbeat: Heartbeat;
  private stopBeating: (() => void) | undefined;
  private readonly pausing: PodPausing;
  private readonly watch: PodWatch;
  readonly canPause: boolean;
  closing = false;

  constructor(private readonly options: LocalDriverOptions) {
    this.gate = new CapacityGate(Math.min(options.capacity, MAX_SLOTS), options.capacityWaitMs);
    this.lost = new LostPods(options.salvage, options.logger);
    this.heartbeat = {
      file: join(options.dataDir, 'runtime.heartbeat'),
      windowMs: options.adoptWindowMs ?? 60_000,
    };
    this.slotSandboxes =
      options.sandbox &&
      new SlotSandboxes(options.sandbox, options.dataDir, {
        heartbeat: this.heartbeat,
        logger: options.logger,
      });
    this.canPause = (options.pausing ?? true) && freezerAvailable();
    this.pausing = new PodPausing(options.dataDir, this.sandboxes);
    this.disks = new PodDisks(options.dataDir, this.slotSandboxes, options.events, options.logger);
    this.watch = new PodWatch({
      dataDir: options.dataDir,
      events: options.events,
      logger: options.logger,
      pods: this.pods,
      sandboxes: this.sandboxes,
      gate: this.gate,
      slots: this.slots,
      disks: this.disks,
      pausing: this.pausing,
      lost: this.lost,
      fillWarm: () => this.fillWarm(),
      isClosing: () => this.closing,
    });
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
   * serving (a worker restart; pod-adoption.ts). Returns the adopted pods.
   */
  async adoptRunning(): Promise<LaunchedPod[]> {
    await this.beat();
    const { dataDir, logger } = this.options;
    return adoptRunning({
      dataDir,
      logger,
      slots: this.slots,
      slotSandboxes: this.slotSandboxes,
      disks: this.disks,
      pausing: this.pausing,
      lost: this.lost,
      hasPod: (tenantId) => this.pods.has(tenantId),
      track: (pod, record, sandbox) => this.watch.trackAdopted(pod, record, sandbox),
    });
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
      await this.disks.release(pod.tenantId, pod.podId);
      return manifest;
    }
    await this.pausing.thawToEnd(pod);
    await pod.terminate(graceMs);
    await pod.closed;
    return null;
  }

  capacity(): Promise<RuntimeCapacity> {
    const pods = [...this.pods.values()].map((p) => {
      const pausedAt = this.pausing.pausedSince(p.podId);
      const paused = pausedAt !== undefined && { pausedAt: new Date(pausedAt).toISOString() };
      return { tenantId: p.tenantId, podId: p.podId, endpoint: p.endpoint, state: p.state, ...paused };
    });
    return Promise.resolve({ max: this.gate.max, waiting: this.gate.waiting, pods });
  }

  /** Freezes every process of the pod (pod-pausing.ts). */
  pause(pod: LaunchedPod): Promise<void> {
    return this.pausing.pause(pod);
  }

  /** Thaws the pod and checks its supervisor answers ready (pod-pausing.ts). */
  resume(pod: LaunchedPod, options: ResumeOptions): Promise<void> {
    return this.pausing.resume(pod, options);
  }

  private spawn(spec: PodSpec): Promise<LaunchedPod> {
    const { dataDir, portBase, logger, plan } = this.options;
    const { heartbeat, slots, warm, slotSandboxes, warmSandboxes, disks, watch } = this;
    const track = watch.trackStarted.bind(watch);
    return spawnPod(
      { dataDir, portBase, logger, plan, heartbeat, slots, warm, slotSandboxes, warmSandboxes, disks, track },
      spec,
    );
  }

  /** At close, after every pod stopped: the disks of lost pods too (the next runtime mounts them again). */
  async releaseDisks(): Promise<void> {
    await this.disks.releaseAll();
  }
}
