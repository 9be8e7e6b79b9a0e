/**
 * The reserve on a sandboxed tenant's disk (tenant-disks.ts): room that
 * OpenClaw gets back when the agent's own files filled the disk, so a full
 * disk (a user asked the agent to download something big) does not brick
 * the tenant. The agent and OpenClaw are one uid in one dir, so no quota can
 * tell their writes apart; instead the image is the tier's budget plus
 * a reserve (`reserveBytesFor`), and while the reserve is held those blocks are ext4's
 * reserved blocks (`tune2fs -r`), which only root may use: the agent's
 * writes stop at its budget with ENOSPC. Once the disk is full the runtime
 * (root) sets the reserved count to 0, so OpenClaw can record the turn,
 * answer, and take the next messages; it reports why (RuntimeEvents
 * `diskFull`, shown as the tenant's reason). When the agent has freed room
 * again the reserve is held again and the reason cleared.
 *
 * Reserved blocks rather than a root-owned file: nothing of the reserve is
 * in the tenant's dir (the tenant owns that dir's root, so it could rename a
 * file there or chmod the dir, and a file would be one more thing the
 * snapshot and the chown of the dir must leave out); the kernel applies a
 * changed count on the mounted filesystem at once.
 */
import { execFile } from 'node:child_process';
import { readFile, statfs } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const MiB = 1024 ** 2;

/** Room kept back for OpenClaw beyond each tier's budget: its SQLite, transcripts and logs for many turns. */
export const DISK_RESERVE_BYTES = 64 * MiB;

/**
 * The reserve of a disk of this budget: DISK_RESERVE_BYTES, or half the
 * budget when that is less (tune2fs refuses to reserve over half a
 * filesystem; only budgets below 128 MiB, as in tests, get less).
 */
export function reserveBytesFor(budgetBytes: number): number {
  return Math.min(DISK_RESERVE_BYTES, Math.floor(budgetBytes / 2 / MiB) * MiB);
}
/** Less room than this for the tenant, with the reserve held, is a full disk (ext4 keeps a little slack of its own). */
const FULL_BELOW_BYTES = 2 * MiB;
/** The reserve is held again once the tenant has this much room beyond it (so it is not released again at once). */
const HOLD_AGAIN_MARGIN_BYTES = 8 * MiB;
/** How often the free room is read: one statfs. A full disk is released within this. */
const POLL_MS = 250;

/** `detail` when the disk filled and the reserve was released; null once it is held again. */
export type ReserveReport = (detail: string | null) => void;

export class DiskReserve {
  private held = false;
  /** A release was reported and not yet cleared. */
  private reported = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly reserveBytes: number;
  /** The check under way (one at a time: a tick while one runs is skipped). */
  private checking: Promise<void> | null = null;

  constructor(
    /** The mounted tenant dir (the image's root). */
    private readonly mountPoint: string,
    private readonly budgetBytes: number,
    private readonly report: ReserveReport,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.reserveBytes = reserveBytesFor(budgetBytes);
  }

  /**
   * Watches from now on (the pod is ready: its restore, which may need the
   * whole image, is done); resolves after the first check. The reserve's
   * state on the image is not assumed (an adopted pod's disk was mounted by
   * an earlier runtime): released first.
   */
  start(): Promise<void> {
    const first = this.exclusive(() => this.release().then(() => this.check(true)));
    this.timer = setInterval(() => {
      if (this.checking === null) void this.exclusive(() => this.check(false));
    }, POLL_MS);
    this.timer.unref();
    return first;
  }

  /** Stops watching; resolves once a check under way is done (before the disk is unmounted). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.checking;
  }

  private exclusive(check: () => Promise<void>): Promise<void> {
    const done = check()
      .catch(this.onError)
      .finally(() => {
        this.checking = null;
      });
    this.checking = done;
    return done;
  }

  private async release(): Promise<void> {
    if (!this.stopped) await setReserved(this.mountPoint, 0);
  }

  private async check(first: boolean): Promise<void> {
    if (this.stopped) return;
    const fs = await statfs(this.mountPoint);
    const room = fs.bavail * fs.bsize;
    if (this.held && room < FULL_BELOW_BYTES) {
      await setReserved(this.mountPoint, 0);
      this.held = false;
      this.reported = true;
      this.report(
        `the agent's files filled its ${mib(this.budgetBytes)} MiB budget; its ${mib(this.reserveBytes)} MiB ` +
          `reserve was released so OpenClaw keeps answering, until the agent frees room`,
      );
    } else if (!this.held && room >= this.reserveBytes + HOLD_AGAIN_MARGIN_BYTES) {
      await setReserved(this.mountPoint, this.reserveBytes);
      this.held = true;
      if (this.reported) this.report(null);
      this.reported = false;
    } else if (first && !this.held) {
      // Restored (nearly) full: a snapshot taken while the reserve was released. It answers, without a reserve.
      this.reported = true;
      this.report(
        `its ${mib(this.budgetBytes)} MiB budget was (nearly) full when it woke; no reserve is held ` +
          `until the agent frees room`,
      );
    }
  }
}

/** Sets the ext4 reserved block count of the filesystem mounted at `mountPoint` (its loop device), live. */
export async function setReserved(mountPoint: string, bytes: number): Promise<void> {
  const [device, fs] = await Promise.all([deviceOf(mountPoint), statfs(mountPoint)]);
  await run('tune2fs', ['-r', String(Math.ceil(bytes / fs.bsize)), device]);
}

/** The device mounted at `mountPoint` (`/dev/loopN`), from /proc/self/mountinfo. */
async function deviceOf(mountPoint: string): Promise<string> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    if (fields[4] !== mountPoint) continue;
    // After the optional fields: ` - <fstype> <source> <options>`.
    const source = fields[fields.indexOf('-') + 2];
    if (source) return source;
  }
  throw new Error(`nothing is mounted at ${mountPoint}`);
}

function mib(bytes: number): number {
  return Math.round(bytes / MiB);
}
