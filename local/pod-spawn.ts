/**
 * The launch of a local pod: a slot (a pre-built sandbox's, or a free one),
 * the tenant's dir cleared on its disk, its plan written, and its supervisor
 * started (claimed from the warm pool when it can). The driver
 * (local-driver.ts) takes the started pod over through `track`; a launch that
 * fails anywhere, that included, gives back its slot, disk and warm sandbox.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PodSpec } from '../activities/ports.js';
import type { Logger } from '../common/logger.js';
import type { LaunchPlan, Placement } from '../runtime/launch-plan.js';
import { LaunchedPod } from './launched-pod.js';
import { freeSlot, placementOf, type SlotTable } from './placement.js';
import { killProcessesOf } from './process-sweep.js';
import type { PodDisks } from './sandbox/pod-disks.js';
import { startSandboxed } from './sandbox/sandboxed-start.js';
import type { SlotSandboxes } from './sandbox/slot-sandboxes.js';
import type { TenantSandbox } from './sandbox/tenant-sandbox.js';
import type { WarmSandboxes } from './sandbox/warm-sandboxes.js';
import type { Heartbeat } from './supervisor-process.js';
import { prepareTenantDir } from './tenant-dir.js';
import type { WarmSupervisors } from './warm-supervisors.js';

export interface SpawnContext {
  readonly dataDir: string;
  readonly portBase: number;
  readonly logger: Logger;
  readonly plan: (pod: PodSpec, placement: Placement, rootDir: string) => Promise<LaunchPlan>;
  readonly heartbeat: Heartbeat;
  readonly slots: SlotTable;
  readonly warm: WarmSupervisors;
  readonly slotSandboxes: SlotSandboxes | undefined;
  readonly warmSandboxes: WarmSandboxes | undefined;
  readonly disks: PodDisks;
  /** Makes the started pod the runtime's (watched, recorded); a failure here fails the launch. */
  track(pod: LaunchedPod, spec: PodSpec, slot: number, sandbox: TenantSandbox | undefined): Promise<void>;
}

export async function spawnPod(ctx: SpawnContext, spec: PodSpec): Promise<LaunchedPod> {
  const { logger, portBase } = ctx;
  const rootDir = join(ctx.dataDir, 'tenants', spec.tenantId);
  // A pre-built sandbox decides the slot: its process already holds the slot's socket.
  let warm = ctx.warmSandboxes?.take();
  const { slot, placement } = warm
    ? { slot: warm.slot, placement: placementOf(warm.slot, portBase) }
    : await freeSlot(ctx.slots, portBase, logger);
  try {
    // Planning (registry, secrets) and clearing the tenant dir are independent: a wake waits for the slower.
    // A pre-built sandbox takes the tenant in meanwhile: its tier's limits at once; its dir bound in by the
    // disk's mount (slot-mount.ts), then owned by the slot's uid once cleared.
    const claimed = warm?.sandbox;
    const bindAt = await claimed?.mount.pointFor(spec.tenantId);
    const [plan] = await Promise.all([
      ctx.plan(spec, placement, rootDir),
      claimed?.setLimits(ctx.slotSandboxes!.limitsOf(spec.tier)),
      // Leftovers of a runtime that died hard are killed while the disk mounts; the dir is cleared after both.
      Promise.all([killProcessesOf(rootDir), ctx.disks.mountFor(spec, bindAt)])
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
      heartbeat: ctx.heartbeat,
    };
    const taken = warm;
    warm = undefined; // from here startSandboxed owns it
    const { pod, sandbox } = ctx.slotSandboxes
      ? await startSandboxed({
          sandboxes: ctx.slotSandboxes,
          pool: ctx.warmSandboxes!,
          heartbeatFile: ctx.heartbeat.file,
          slot,
          launch: input,
          warm: taken,
        })
      : { pod: await LaunchedPod.start(input, ctx.warm.take()), sandbox: undefined };
    await ctx.track(pod, spec, slot, sandbox);
    logger.info(
      { tenantId: spec.tenantId, podId: spec.podId, host: placement.host },
      'tenant process started',
    );
    return pod;
  } catch (error) {
    if (warm) await ctx.warmSandboxes?.dismiss(warm);
    await ctx.disks.release(spec.tenantId, spec.podId);
    ctx.slots.release(slot);
    throw error;
  }
}
