/**
 * The local driver's side of sandboxed tenants' disks (tenant-disks.ts): a
 * pod's dir is mounted at its launch with its tier's budget, its reserve is
 * watched from its readiness, and the disk is released at its stop. Without
 * a sandbox there are no disks and every call does nothing.
 */
import { basename, join } from 'node:path';
import type { PodSpec, RuntimeEvents } from '../../activities/ports.js';
import type { Logger } from '../../common/logger.js';
import type { TenantTier } from '../../workflows/types.js';
import type { LaunchedPod } from '../launched-pod.js';
import type { SlotSandboxes } from './slot-sandboxes.js';
import { TenantDisks } from './tenant-disks.js';

export class PodDisks {
  /** Sandboxed tenants' disk budgets (tenant-disks.ts). */
  private readonly disks: TenantDisks | undefined;

  constructor(
    dataDir: string,
    /** The tiers' limits, whose disk budgets these are; absent means unsandboxed, and no disks. */
    private readonly sandboxes: SlotSandboxes | undefined,
    private readonly events: RuntimeEvents,
    private readonly logger: Logger,
  ) {
    this.disks = sandboxes && new TenantDisks(join(dataDir, 'disks'), join(dataDir, 'tenants'));
  }

  /** At a runtime's start: every image, to find what an earlier runtime left. */
  async mountAll(): Promise<void> {
    await this.disks?.mountAll();
  }

  /** The tenant's dir becomes its disk budget (tenant-disks.ts), held by this pod until its stop is done. */
  async mountFor(spec: PodSpec, alsoAt: string | undefined): Promise<void> {
    const bytes = this.sandboxes?.limitsOf(spec.tier).diskBytes;
    if (bytes !== undefined) await this.disks?.mountFor(spec.tenantId, spec.podId, bytes, alsoAt);
  }

  /** An adopted or lost pod holds the disk an earlier runtime mounted. */
  hold(tenantId: string, podId: string): void {
    this.disks?.hold(tenantId, podId);
  }

  /** Nothing of it runs and nothing will salvage it: a disk an earlier runtime left mounted is released. */
  async releaseUnheld(rootDir: string): Promise<void> {
    if (!this.disks?.isHeld(basename(rootDir))) await this.disks?.release(rootDir);
  }

  /** From its readiness (its restore is done): the pod's disk reserve, released when the agent fills the disk. */
  watchReserve(pod: LaunchedPod, tier: TenantTier): void {
    const budget = this.sandboxes?.limitsOf(tier).diskBytes;
    if (budget === undefined || !this.disks) return;
    const { events, logger } = this;
    const { tenantId, podId } = pod;
    const report = (detail: string | null) => {
      if (detail) logger.warn({ tenantId, podId, detail }, 'disk full: reserve released');
      else logger.info({ tenantId, podId }, 'disk reserve held again');
      void events
        .diskFull?.(tenantId, podId, detail)
        .catch((err: unknown) => logger.error({ err, tenantId, podId }, 'diskFull not sent'));
    };
    void this.disks.watchReserve(tenantId, podId, budget, report, (err) =>
      logger.warn({ err, tenantId, podId }, 'disk reserve not checked'),
    );
  }

  async unwatchReserve(pod: LaunchedPod): Promise<void> {
    await this.disks?.unwatchReserve(pod.tenantId, pod.podId);
  }

  async release(tenantId: string, podId: string): Promise<void> {
    await this.disks
      ?.releaseFor(tenantId, podId)
      .catch((err: unknown) => this.logger.warn({ err, tenantId }, 'tenant disk not unmounted'));
  }

  /** At close, after every pod stopped: the disks of lost pods too (the next runtime mounts them again). */
  async releaseAll(): Promise<void> {
    await this.disks?.releaseAll();
  }
}
