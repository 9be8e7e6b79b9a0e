/**
 * The paused tier's freezer: every process of one tenant pod moved into its
 * own group under the cgroup v1 freezer hierarchy and frozen there. A frozen
 * process uses no CPU and keeps its memory, sockets and files; thawing it
 * lets it carry on where it stopped. The group is separate from the
 * sandbox's memory, cpu and pids groups (local/sandbox/cgroup.ts): the
 * freezer is its own hierarchy, so moving a process here changes none of its
 * limits, and an unsandboxed pod can pause too.
 *
 * Processes are moved, then the group frozen, then the pod's processes
 * listed again: one forked in between joins the frozen group (and freezes).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const FREEZER_ROOT = '/sys/fs/cgroup/freezer';
/** A freeze waits this long for every task to stop (a task in an uninterruptible wait delays it). */
const FREEZE_WAIT_MS = 5_000;
const POLL_MS = 5;

/** Whether this host has a writable cgroup v1 freezer (FACTS.md: v1 controllers only here). */
export function freezerAvailable(root: string = FREEZER_ROOT): boolean {
  return existsSync(join(root, 'cgroup.procs'));
}

export class PodFreezer {
  constructor(
    /** `clawfleet-paused/<stack>-<tenant>`: one group per tenant of one data dir. */
    readonly name: string,
    private readonly root: string = FREEZER_ROOT,
  ) {}

  get dir(): string {
    return join(this.root, this.name);
  }

  /** Moves `pids()` into the group and freezes it; resolves once the kernel reports FROZEN. */
  async freeze(pids: () => Promise<readonly number[]>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.join(await pids());
    await writeFile(join(this.dir, 'freezer.state'), 'FROZEN');
    await this.join(await pids()); // one forked while the first ones moved
    await this.waitFor('FROZEN');
  }

  /**
   * Thaws the group; resolves once every task runs again. A group that is not there is thawed.
   *
   * The write and its read-back are synchronous on purpose: they are cgroupfs files, handled in the kernel in
   * microseconds (a v1 thaw is applied within the write), whereas the async calls each wait for a libuv pool
   * thread and then for the event loop, 7–9 ms together on a busy worker (docs/benchmarks.md), on every paused
   * resume's critical path.
   */
  async thaw(): Promise<void> {
    if (!existsSync(this.dir)) return;
    writeFileSync(join(this.dir, 'freezer.state'), 'THAWED');
    if (this.stateNow() === 'THAWED') return;
    await this.waitFor('THAWED');
  }

  private stateNow(): string | null {
    try {
      return readFileSync(join(this.dir, 'freezer.state'), 'utf8').trim();
    } catch {
      return null;
    }
  }

  /** FROZEN, FREEZING or THAWED; null when the group is not there. */
  async state(): Promise<string | null> {
    const text = await readFile(join(this.dir, 'freezer.state'), 'utf8').catch(() => null);
    return text === null ? null : text.trim();
  }

  /** Thaws and removes the group once its processes are gone (the pod ended); a busy group stays thawed. */
  async remove(): Promise<void> {
    await this.thaw().catch(() => undefined);
    await rmdir(this.dir).catch(() => undefined);
  }

  private async join(pids: readonly number[]): Promise<void> {
    for (const pid of pids)
      await writeFile(join(this.dir, 'cgroup.procs'), String(pid)).catch(() => undefined); // gone already
  }

  private async waitFor(wanted: 'FROZEN' | 'THAWED'): Promise<void> {
    const deadline = Date.now() + FREEZE_WAIT_MS;
    for (let state = await this.state(); state !== wanted; state = await this.state()) {
      if (Date.now() > deadline)
        throw new Error(`freezer ${this.name} still ${state} after ${FREEZE_WAIT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
