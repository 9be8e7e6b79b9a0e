/**
 * Adoption after a worker restart: the supervisors an earlier runtime on
 * the same data dir left serving become the new runtime's pods again, with
 * their slot and their place; every other leftover process of a tenant dir
 * is killed, and a pod that served and died unwatched is kept for its
 * workflow's stop to salvage. The driver (local-driver.ts) registers what is
 * adopted as it does a launched pod.
 */
import type { Logger } from '../common/logger.js';
import { LaunchedPod } from './launched-pod.js';
import type { LostPods } from './lost-pods.js';
import type { SlotTable } from './placement.js';
import type { PodPausing } from './pod-pausing.js';
import {
  isServing,
  killGroup,
  removePodRecord,
  tenantDirs,
  wasServed,
  type PodRecord,
} from './pod-record.js';
import { isSameProcess } from './process-identity.js';
import { killProcessesOf } from './process-sweep.js';
import type { PodDisks } from './sandbox/pod-disks.js';
import type { SlotSandboxes } from './sandbox/slot-sandboxes.js';
import type { TenantSandbox } from './sandbox/tenant-sandbox.js';

export interface AdoptionContext {
  readonly dataDir: string;
  readonly logger: Logger;
  readonly slots: SlotTable;
  readonly slotSandboxes: SlotSandboxes | undefined;
  readonly disks: PodDisks;
  readonly pausing: PodPausing;
  readonly lost: LostPods;
  hasPod(tenantId: string): boolean;
  /** Makes the adopted pod the runtime's, as a launched one (its slot already claimed). */
  track(pod: LaunchedPod, record: PodRecord, sandbox: TenantSandbox | undefined): void;
}

/** Adopts what can be adopted and clears the rest; returns the adopted pods. */
export async function adoptRunning(ctx: AdoptionContext): Promise<LaunchedPod[]> {
  const adopted: LaunchedPod[] = [];
  await ctx.disks.mountAll();
  for (const { rootDir, record } of await tenantDirs(ctx.dataDir)) {
    // A pod paused by the earlier runtime is thawed: adopted ready, its workflow's resume finds it so.
    if (record) await ctx.pausing.thawLeftover(record.tenantId).catch(() => undefined);
    const refusal = record ? await whyNotAdoptable(ctx, record) : null;
    if (record && refusal === null) {
      const pod = LaunchedPod.adopt(record, rootDir, ctx.logger);
      const sandbox = await ctx.slotSandboxes?.adopt(record.slot, record.tier);
      ctx.track(pod, record, sandbox);
      adopted.push(pod);
      ctx.logger.info(
        { tenantId: pod.tenantId, podId: pod.podId, pid: record.pid },
        'tenant process adopted',
      );
      continue;
    }
    if (record) {
      ctx.logger.warn({ tenantId: record.tenantId, podId: record.podId, refusal }, 'not adopted');
      if (isSameProcess(record.pid, record.startTime)) killGroup(record.pid);
    }
    const swept = killProcessesOf(rootDir);
    // A pod that served and died while no runtime watched: its workflow's stop salvages what it left.
    if (record && !ctx.hasPod(record.tenantId) && (await wasServed(rootDir))) {
      ctx.lost.add(LaunchedPod.adopt(record, rootDir, ctx.logger), swept);
      ctx.disks.hold(record.tenantId, record.podId);
    } else await removePodRecord(rootDir);
    await swept;
    await ctx.disks.releaseUnheld(rootDir);
  }
  // A pre-built sandbox of a runtime that died may still have its tenant's dir mounted (slot-mount.ts).
  await ctx.slotSandboxes?.releaseMounts(ctx.slots);
  return adopted;
}

/** Null when the record names a live, ready supervisor whose slot is free; else why not. */
async function whyNotAdoptable(ctx: AdoptionContext, record: PodRecord): Promise<string | null> {
  if (ctx.hasPod(record.tenantId)) return 'the tenant has a pod already';
  if (!isSameProcess(record.pid, record.startTime)) return 'its process is gone';
  if (!(await isServing(record))) return 'it does not answer ready';
  if (!ctx.slots.claim(record.slot)) return `slot ${record.slot} is taken`;
  return null;
}
