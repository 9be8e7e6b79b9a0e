/**
 * The local driver's running pods, from their launch (pod-spawn.ts) or their
 * adoption (pod-adoption.ts) to their exit: each is watched (its sandbox's
 * out-of-memory kills too), and an exit it did not ask for is reported
 * through `events.podLost` at once, its directory kept for the salvage its
 * stop does. Its slot, place, disk and freezer group come back once every
 * process of it is gone.
 */
import type { PodSpec, RuntimeEvents } from '../activities/ports.js';
import type { Logger } from '../common/logger.js';
import type { CapacityGate } from '../runtime/capacity-gate.js';
import type { LaunchedPod } from './launched-pod.js';
import type { LostPods } from './lost-pods.js';
import type { SlotTable } from './placement.js';
import type { PodPausing } from './pod-pausing.js';
import { removePodRecord, writePodRecord, type PodRecord } from './pod-record.js';
import { killProcessesOf } from './process-sweep.js';
import type { PodDisks } from './sandbox/pod-disks.js';
import { removeSandboxFacts, writeSandboxFacts } from './sandbox/sandbox-view.js';
import type { TenantSandbox } from './sandbox/tenant-sandbox.js';

export interface PodWatchContext {
  readonly dataDir: string;
  readonly events: RuntimeEvents;
  readonly logger: Logger;
  /** The running pods by tenant id, and the sandbox of each sandboxed one by pod id: the driver's. */
  readonly pods: Map<string, LaunchedPod>;
  readonly sandboxes: Map<string, TenantSandbox>;
  readonly gate: CapacityGate;
  readonly slots: SlotTable;
  readonly disks: PodDisks;
  readonly pausing: PodPausing;
  readonly lost: LostPods;
  /** Tops up the warm pool once a wake is served. */
  fillWarm(): void;
  /** The runtime is closing: an exit is not reported lost. */
  isClosing(): boolean;
}

export class PodWatch {
  constructor(private readonly ctx: PodWatchContext) {}

  /** A started pod becomes the runtime's: recorded for a later runtime's adoption, watched until its exit. */
  async trackStarted(pod: LaunchedPod, spec: PodSpec, slot: number, sandbox: TenantSandbox | undefined) {
    if (sandbox) this.watchSandbox(pod, sandbox);
    this.ctx.pods.set(spec.tenantId, pod);
    const { pid, startTime } = pod.process;
    if (pid !== undefined && startTime !== null)
      await writePodRecord(pod.rootDir, { ...spec, slot, endpoint: pod.endpoint, pid, startTime });
    // Replace the claimed process once this wake is served, not while OpenClaw is starting.
    void pod.whenReady().then(
      () => {
        this.ctx.fillWarm();
        this.ctx.disks.watchReserve(pod, spec.tier);
      },
      () => this.ctx.fillWarm(),
    );
    void pod.process.exited.then((info) => this.onExit(pod, slot, info));
  }

  /** An adopted pod (its slot claimed) becomes the runtime's, as a started one. */
  trackAdopted(pod: LaunchedPod, record: PodRecord, sandbox: TenantSandbox | undefined): void {
    if (sandbox) this.watchSandbox(pod, sandbox);
    this.ctx.gate.occupy();
    this.ctx.pods.set(pod.tenantId, pod);
    this.ctx.disks.hold(pod.tenantId, pod.podId);
    this.ctx.disks.watchReserve(pod, record.tier);
    void pod.process.exited.then((info) => this.onExit(pod, record.slot, info));
  }

  /** Keeps the pod's sandbox with it, for `tenant get` and the OOM watch (tenant-sandbox.ts). */
  private watchSandbox(pod: LaunchedPod, sandbox: TenantSandbox): void {
    this.ctx.sandboxes.set(pod.podId, sandbox);
    void writeSandboxFacts(this.ctx.dataDir, pod.tenantId, sandbox.facts()).catch(() => undefined);
    sandbox.endWhenOutOfMemory(pod.process.exited, (kills) =>
      this.ctx.logger.warn(
        { tenantId: pod.tenantId, podId: pod.podId, kills },
        'out of memory: tenant ended',
      ),
    );
  }

  private async onExit(pod: LaunchedPod, slot: number, info: { code: number | null; signal: string | null }) {
    const { events, logger } = this.ctx;
    const unexpected = pod.state !== 'stopping';
    const sandbox = this.ctx.sandboxes.get(pod.podId);
    await this.ctx.disks.unwatchReserve(pod);
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
        this.ctx.lost.add(pod, swept);
        // Report at once: the workflow's stop of this pod waits for the sweep before it salvages.
        if (!this.ctx.isClosing())
          void events
            .podLost(pod.tenantId, pod.podId, reason)
            .catch((err: unknown) => logger.error({ err, podId: pod.podId }, 'podLost not sent'));
        await swept; // the slot's ports and the place come back only once every process is gone
      }
      // Whatever is left in the sandbox (a process that left the tenant's sessions) ends with it.
      await sandbox?.close();
      if (sandbox) await removeSandboxFacts(this.ctx.dataDir, pod.tenantId).catch(() => undefined);
      // A lost pod keeps its disk mounted for the salvage its stop does (remove).
      if (!unexpected) await this.ctx.disks.release(pod.tenantId, pod.podId);
    } finally {
      this.ctx.sandboxes.delete(pod.podId);
      await this.ctx.pausing.forget(pod);
      if (this.ctx.pods.get(pod.tenantId) === pod) {
        this.ctx.pods.delete(pod.tenantId);
        await removePodRecord(pod.rootDir).catch(() => undefined);
      }
      this.ctx.slots.release(slot);
      this.ctx.gate.release();
      pod.markClosed(reason);
    }
  }
}
