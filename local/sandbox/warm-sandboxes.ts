/**
 * The warm pool of a sandboxed local runtime: sandboxes pre-built on free
 * slots, each with a warm supervisor (supervisor/main.ts --warm) already
 * running inside it, as the slot's uid, in the slot's cgroups and network
 * namespace, holding the slot's listening socket. A wake placed on such a
 * slot claims it: the sandbox takes the tenant's tier limits, the tenant's
 * own dir is mounted into it (slot-mount.ts), and the claim hands over the
 * spec and secrets. Before the claim the sandbox holds no tenant data; after
 * its tenant ends it is torn down like any other (never used again), and
 * the pool builds a fresh one.
 *
 * A pre-built sandbox serves only a launch with the same template (the same
 * egress routes and read-only paths, slot-sandboxes.ts): the pool builds for
 * the template of the latest launch, so the first wake after start is cold,
 * and a launch that differs (a tenant without Telegram, say) discards it.
 */
import { randomBytes } from 'node:crypto';
import { chown, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../common/logger.js';
import { placementOf, type SlotTable } from '../placement.js';
import { portsAreFree } from '../port-check.js';
import type { Heartbeat } from '../supervisor-process.js';
import { isAlive, spawnWarmProcess, type WarmProcess } from '../warm-supervisors.js';
import type { SlotSandboxes } from './slot-sandboxes.js';
import type { SandboxTemplate } from './sandbox-template.js';
import type { TenantSandbox } from './tenant-sandbox.js';

export interface WarmSandboxesOptions {
  /** Pre-built sandboxes to keep (0 turns the pool off). */
  readonly size: number;
  readonly sandboxes: SlotSandboxes;
  /** The driver's slots: a pre-built sandbox holds its slot until it is claimed or discarded. */
  readonly slots: SlotTable;
  readonly portBase: number;
  /** The marker in every warm process's environment (how a sweep finds them). */
  readonly dataDir: string;
  /** Where idle processes write until a claim moves them to the tenant's log. */
  readonly logFile: string;
  readonly heartbeat: Heartbeat;
  readonly logger: Logger;
}

export interface WarmSandbox {
  readonly slot: number;
  readonly sandbox: TenantSandbox;
  readonly process: WarmProcess;
  /** The template it was built for, as JSON. */
  readonly template: string;
}

export class WarmSandboxes {
  private idle: WarmSandbox[] = [];
  private readonly building = new Set<Promise<void>>();
  private template: SandboxTemplate | undefined;
  private closed = false;

  constructor(private readonly options: WarmSandboxesOptions) {}

  /** The sandboxes built and waiting for a claim. */
  get waiting(): readonly WarmSandbox[] {
    return this.idle;
  }

  /** The latest launch's template: what the pool builds for from now on. */
  remember(template: SandboxTemplate): void {
    this.template = template;
  }

  fits(warm: WarmSandbox, template: SandboxTemplate): boolean {
    return warm.template === JSON.stringify(template);
  }

  /** Builds sandboxes up to the pool size, in the background; nothing before the first launch's template. */
  fill(): void {
    const { template } = this;
    while (!this.closed && template && this.idle.length + this.building.size < this.options.size) {
      const built: Promise<void> = this.buildOne(template).then(
        (warm) => {
          if (this.closed) void this.discard(warm);
          else this.idle.push(warm);
        },
        (err: unknown) => this.options.logger.warn({ err }, 'warm sandbox not built'),
      );
      this.building.add(built);
      void built.finally(() => this.building.delete(built));
    }
  }

  /** A pre-built sandbox with a live warm process for the next launch (its slot becomes the launch's), or undefined. */
  take(): WarmSandbox | undefined {
    const [alive, dead] = partition(this.idle, (warm) => isAlive(warm.process));
    for (const warm of dead) void this.discard(warm);
    this.idle = alive;
    return this.idle.shift();
  }

  /** Ends a taken sandbox unused (its launch needs another template); the slot stays the launch's. */
  async dismiss(warm: WarmSandbox): Promise<void> {
    await warm.sandbox.close(); // kills the warm process with everything else in its cgroups
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.building);
    await Promise.all(this.idle.splice(0).map((warm) => this.discard(warm)));
  }

  private async discard(warm: WarmSandbox): Promise<void> {
    await this.dismiss(warm).catch((err: unknown) =>
      this.options.logger.warn({ err, slot: warm.slot }, 'warm sandbox not torn down'),
    );
    this.options.slots.release(warm.slot);
  }

  private async buildOne(template: SandboxTemplate): Promise<WarmSandbox> {
    const { slots, portBase, sandboxes } = this.options;
    const slot = slots.take();
    if (slot === null) throw new Error('no free local slot for a warm sandbox');
    let built: TenantSandbox | undefined;
    try {
      const placement = placementOf(slot, portBase);
      if (!(await portsAreFree(placement))) throw new Error(`slot ${slot} ports are busy`);
      const listen = { host: placement.host, port: placement.supervisorPort };
      const { sandbox, start, claimDir } = await sandboxes.prebuild(slot, template, listen);
      built = sandbox;
      const { uid } = sandbox.identity;
      // Its own claim token, readable inside only: a tenant that later reads it finds nothing left to claim.
      const claimToken = randomBytes(32).toString('hex');
      const tokenFile = join(claimDir, 'claim-token');
      await writeFile(tokenFile, claimToken, { mode: 0o600 });
      await chown(tokenFile, uid, uid);
      const process = spawnWarmProcess({
        dir: claimDir,
        tokenFile,
        claimToken,
        logFile: this.options.logFile,
        heartbeat: this.options.heartbeat,
        dataDir: this.options.dataDir,
        sandbox: { ...start, uid },
      });
      return { slot, sandbox, process, template: JSON.stringify(template) };
    } catch (error) {
      await built?.close();
      slots.release(slot);
      throw error;
    }
  }
}

function partition<T>(items: readonly T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((item) => !test(item))];
}
