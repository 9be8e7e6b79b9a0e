/**
 * The local driver's sandboxes, one per busy slot: slot n runs as uid and
 * gid `uidBase + n`, in network namespace `cf-<stack>-<n>` and cgroups
 * `clawfleet/<stack>-<n>` (the stack is a hash of the data dir, so two
 * stacks on one host never share a namespace or a cgroup). Builds a
 * sandbox for a launch from its plan, and rebuilds the host side (egress
 * sockets) of one an earlier runtime left serving.
 */
import { createHash } from 'node:crypto';
import { chown, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PodSpec } from '../../activities/ports.js';
import type { LaunchPlan } from '../../runtime/launch-plan.js';
import type { TenantTier } from '../../workflows/types.js';
import type { SandboxedStart } from '../supervisor-process.js';
import { PermanentPortError } from '../../activities/errors.js';
import { EgressRefused, type EgressRoute } from './egress.js';
import { checkSandboxPrimitives, SandboxUnavailable } from './preflight.js';
import { SlotMount } from './slot-mount.js';
import type { SnapshotGuardSpec } from './snapshot-egress.js';
import { EgressKeeperClient } from './egress-keeper-client.js';
import type { Logger } from '../../common/logger.js';
import type { SlotTable } from '../placement.js';
import { TenantSandbox } from './tenant-sandbox.js';
import type { SandboxLaunch } from './mount-view.js';
import { sandboxTemplate, type SandboxTemplate } from './sandbox-template.js';
import { TIER_LIMITS, type SandboxLimits } from './limits.js';
import { linkCompileCache } from './compile-cache-links.js';

export interface LocalSandboxSettings {
  /** Slot n runs as uid/gid uidBase + n. */
  readonly uidBase: number;
  /** `host:port` destinations in refused ranges the tenant may still reach (egress.ts). */
  readonly egressAllow: readonly string[];
  /** Per-tier limits. @default TIER_LIMITS (limits.ts) */
  readonly limits?: Readonly<Record<TenantTier, SandboxLimits>>;
  /** An embedded snapshot store's route, read as HTTP: only presigned requests pass (snapshot-egress.ts). */
  readonly snapshotGuard?: SnapshotGuardSpec;
}

/** The runtime's heartbeat, which the egress keeper watches too (egress-keeper.ts). */
export interface SandboxRuntimeLink {
  readonly heartbeat: { readonly file: string; readonly windowMs: number };
  readonly logger?: Logger;
}

export class SlotSandboxes {
  private readonly stack: string;
  private checked: Promise<void> | undefined;
  /** The host end of every sandbox's egress, in a process that outlives this runtime (egress-keeper.ts). */
  readonly egressKeeper: EgressKeeperClient;

  constructor(
    private readonly settings: LocalSandboxSettings,
    private readonly dataDir: string,
    link: SandboxRuntimeLink,
  ) {
    this.stack = createHash('sha256').update(dataDir).digest('hex').slice(0, 6);
    this.egressKeeper = new EgressKeeperClient({ dataDir, ...link });
  }

  /** The preflight, once per runtime; every launch awaits it, so a missing primitive refuses each with its line. */
  check(): Promise<void> {
    this.checked ??= checkSandboxPrimitives(this.settings.uidBase);
    return this.checked;
  }

  uidOf(slot: number): number {
    return this.settings.uidBase + slot;
  }

  /**
   * What every sandbox of this plan sees besides its tenant: the egress
   * routes and the read-only paths. Refuses (permanently) when the host lacks
   * a primitive or a destination is in a refused range nobody listed.
   */
  async template(plan: LaunchPlan, heartbeatFile: string): Promise<SandboxTemplate> {
    try {
      await this.check();
      return sandboxTemplate(plan, heartbeatFile, this.settings.egressAllow);
    } catch (error) {
      // The host or the settings must change first: retrying the launch cannot help.
      if (error instanceof SandboxUnavailable || error instanceof EgressRefused)
        throw new PermanentPortError('SANDBOX_REFUSED', error.message);
      throw error;
    }
  }

  /** A sandbox for this tenant's launch (a cold start), prepared, and how the supervisor's start goes through it. */
  async build(
    slot: number,
    pod: PodSpec,
    plan: LaunchPlan,
    rootDir: string,
    template: SandboxTemplate,
  ): Promise<{ sandbox: TenantSandbox; start: SandboxedStart }> {
    const sandbox = this.sandboxOf(slot, pod.tier, template.routes);
    const launch = {
      writable: [[rootDir, rootDir] as const],
      readOnly: template.readOnly,
      home: join(rootDir, 'home'),
    };
    const start = await this.prepared(sandbox, launch, template, plan.spec.listen, () =>
      sandbox.own(rootDir),
    );
    return { sandbox, start };
  }

  /**
   * A sandbox for slot `slot` built before any tenant is known (warm-sandboxes.ts):
   * writable are only the slot's empty tenants mount point, at `<dataDir>/tenants`
   * inside, and `claimDir`, where its warm process takes its claim. The tier's
   * limits and the tenant's dir come with the claim (`admit`).
   */
  async prebuild(
    slot: number,
    template: SandboxTemplate,
    listen: { readonly host: string; readonly port: number },
  ): Promise<{ sandbox: TenantSandbox; start: SandboxedStart; claimDir: string }> {
    const sandbox = this.sandboxOf(slot, 'free', template.routes);
    const claimDir = join(sandbox.dir, 'claim');
    const tenants = join(this.dataDir, 'tenants');
    const launch = {
      writable: [[sandbox.mount.point, tenants] as const, [claimDir, claimDir] as const],
      readOnly: template.readOnly,
      home: tenants,
    };
    const start = await this.prepared(sandbox, launch, template, listen, async () => {
      await sandbox.mount.prepare();
      await rm(claimDir, { recursive: true, force: true });
      await mkdir(claimDir, { mode: 0o700 });
      await chown(claimDir, sandbox.identity.uid, sandbox.identity.gid);
    });
    return { sandbox, start, claimDir };
  }

  private async prepared(
    sandbox: TenantSandbox,
    launch: SandboxLaunch,
    template: SandboxTemplate,
    listen: { readonly host: string; readonly port: number },
    files: () => Promise<void>,
  ): Promise<SandboxedStart> {
    let listenFd: number;
    try {
      await sandbox.prepare(launch);
      await files();
      await linkCompileCache(template.compileCache, sandbox.identity.uid);
      await writeFile(join(sandbox.dir, 'routes.json'), JSON.stringify(sandbox.routes));
      listenFd = await sandbox.listen(listen);
    } catch (error) {
      await sandbox.close();
      throw error;
    }
    return {
      wrap: (command) => sandbox.command(launch, command),
      env: sandbox.supervisorEnv(),
      listenFd,
      spawned: () => sandbox.releaseListener(),
    };
  }

  /** The sandbox of a supervisor an earlier runtime started: its egress still served (or served again). */
  async adopt(slot: number, tier: TenantTier): Promise<TenantSandbox> {
    const dir = this.dirOf(slot);
    const routes = JSON.parse(await readFile(join(dir, 'routes.json'), 'utf8')) as EgressRoute[];
    const sandbox = this.sandboxOf(slot, tier, routes);
    await sandbox.startEgress();
    return sandbox;
  }

  /** Unmounts what sandboxes of an earlier runtime left mounted, in every slot not in use (adopted) now. */
  async releaseMounts(slots: SlotTable): Promise<void> {
    const dirs = await readdir(join(this.dataDir, 'sandboxes')).catch(() => [] as string[]);
    for (const dir of dirs) {
      const slot = Number(/^slot-(\d+)$/.exec(dir)?.[1] ?? NaN);
      if (Number.isInteger(slot) && !slots.isTaken(slot))
        await new SlotMount(join(this.dirOf(slot), 'tenants')).release();
    }
  }

  private sandboxOf(slot: number, tier: TenantTier, routes: readonly EgressRoute[]): TenantSandbox {
    const uid = this.uidOf(slot);
    return new TenantSandbox(
      { name: `${this.stack}-${slot}`, uid, gid: uid },
      this.dirOf(slot),
      this.limitsOf(tier),
      routes,
      {
        host: this.egressKeeper,
        guards: this.settings.snapshotGuard ? [this.settings.snapshotGuard] : [],
      },
    );
  }

  limitsOf(tier: TenantTier): SandboxLimits {
    return (this.settings.limits ?? TIER_LIMITS)[tier];
  }

  private dirOf(slot: number): string {
    return join(this.dataDir, 'sandboxes', `slot-${slot}`);
  }
}
