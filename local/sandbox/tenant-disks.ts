/**
 * The disk budget of a sandboxed tenant: while it is awake, its dir
 * (`<dataDir>/tenants/<id>`: state, workspace, tmp, home, logs) is an ext4
 * filesystem of its tier's size, in an image file of its own under
 * `<dataDir>/disks` (root's, mode 700), loop-mounted with nosuid and nodev.
 * Filling it fails inside the tenant with ENOSPC; the host's filesystem and
 * the neighbours' budgets are untouched. The image is sparse: it takes only
 * what the tenant wrote. It stays mounted until the pod's stop is done
 * (a lost pod's stop salvages its state from it first); between wakes only
 * `logs/` matters (tenant-dir.ts), so an image of another size (the tier
 * changed) is made anew. A runtime mounts every image at start, to find
 * what an earlier runtime left (adoptRunning), and unmounts all at close.
 *
 * The image is the budget plus a reserve (disk-reserve.ts) that OpenClaw gets
 * back when the agent's files fill the budget; it is held from when its pod
 * is ready (`watchReserve`) until its stop, and released before the image is
 * unmounted (or, after a crash, before `mountAll` mounts it again), so the
 * next wake's restore of a tenant that filled it fits again.
 *
 * A tenant's first wake would format its image on the wake's path (mkfs.ext4:
 * 100-200 ms under load): once an image of a size was formatted, a spare of
 * that size is formatted in the background (`<bytes>.spare`), and the next
 * new image of that size is the spare, renamed.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DiskReserve, reserveBytesFor, setReserved, type ReserveReport } from './disk-reserve.js';

const run = promisify(execFile);

export class TenantDisks {
  /** Which pod of each tenant holds its mounted dir (tenant id → pod id): only that pod's end unmounts it. */
  private readonly holders = new Map<string, string>();
  /** Spare images being formatted, by size: at most one each. */
  private readonly formatting = new Map<number, Promise<void>>();
  /** The reserve watch of each tenant whose pod is ready (tenant id → its pod and watch). */
  private readonly reserves = new Map<string, { podId: string; reserve: DiskReserve }>();

  constructor(
    /** `<dataDir>/disks`. */
    private readonly dir: string,
    /** `<dataDir>/tenants`. */
    private readonly tenantsDir: string,
  ) {}

  /** A pod of the tenant (adopted, or lost and not yet salvaged) holds its mounted dir. */
  hold(tenantId: string, podId: string): void {
    this.holders.set(tenantId, podId);
  }

  isHeld(tenantId: string): boolean {
    return this.holders.has(tenantId);
  }

  /**
   * The tenant's dir becomes its budget for this pod (`mount`); `alsoAt`, when
   * given, gets the same mounted dir bound on it (a pre-built sandbox's slot
   * mount point, slot-mount.ts).
   */
  async mountFor(tenantId: string, podId: string, budgetBytes: number, alsoAt?: string): Promise<void> {
    this.hold(tenantId, podId);
    await this.mount(tenantId, join(this.tenantsDir, tenantId), budgetBytes, alsoAt);
  }

  /** Unmounts the tenant's dir at this pod's end, unless a newer pod of the tenant holds it now. */
  async releaseFor(tenantId: string, podId: string): Promise<void> {
    if (this.holders.get(tenantId) !== podId) return;
    await this.unwatchReserve(tenantId, podId);
    this.holders.delete(tenantId);
    await this.release(join(this.tenantsDir, tenantId));
  }

  /**
   * Holds the reserve of the pod's disk from now on (its restore is done) and
   * releases it when the disk fills (disk-reserve.ts); a no-op for a pod that
   * does not hold the tenant's disk.
   */
  watchReserve(
    tenantId: string,
    podId: string,
    budgetBytes: number,
    report: ReserveReport,
    onError: (err: unknown) => void,
  ): Promise<void> {
    if (this.holders.get(tenantId) !== podId) return Promise.resolve();
    void this.reserves.get(tenantId)?.reserve.stop();
    const reserve = new DiskReserve(join(this.tenantsDir, tenantId), budgetBytes, report, onError);
    this.reserves.set(tenantId, { podId, reserve });
    return reserve.start();
  }

  /** The pod's end (or its loss): its disk's reserve is no longer watched. */
  async unwatchReserve(tenantId: string, podId: string): Promise<void> {
    const watch = this.reserves.get(tenantId);
    if (watch?.podId !== podId) return;
    this.reserves.delete(tenantId);
    await watch.reserve.stop();
  }

  /** At a runtime's close, every held disk (a lost pod's too: the next runtime mounts it again). */
  async releaseAll(): Promise<void> {
    for (const [tenantId, { podId }] of [...this.reserves]) await this.unwatchReserve(tenantId, podId);
    await Promise.all(this.formatting.values());
    for (const [tenantId, podId] of [...this.holders]) await this.releaseFor(tenantId, podId);
  }

  imageOf(tenantId: string): string {
    return join(this.dir, `${tenantId}.img`);
  }

  /**
   * Mounts the tenant's image, its budget plus the reserve (made
   * first, if missing or of another size) on its dir, and binds the mounted
   * dir on `alsoAt` too, in one `sh` (a spawn less on the wake's path); only
   * the bind when the dir is mounted already.
   */
  async mount(tenantId: string, rootDir: string, budgetBytes: number, alsoAt?: string): Promise<void> {
    const bytes = budgetBytes + reserveBytesFor(budgetBytes);
    const bind = alsoAt === undefined ? [] : [alsoAt];
    if (await isMountPoint(rootDir)) {
      // Mounted by an earlier runtime, maybe with its reserve held: released for the restore, as below.
      await setReserved(rootDir, 0);
      if (alsoAt !== undefined) await run('mount', ['--bind', rootDir, alsoAt]);
      return;
    }
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const image = this.imageOf(tenantId);
    const size = await stat(image).then(
      (s) => s.size,
      () => null,
    );
    if (size !== bytes) {
      await rm(image, { force: true });
      await this.newImage(image, bytes);
    }
    await mkdir(rootDir, { recursive: true, mode: 0o700 });
    // A reused image holds no reserve: `release` and `mountAll` released it, so the restore has the whole image.
    await run('sh', [
      '-c',
      'mount -o loop,nosuid,nodev "$1" "$2" && if [ -n "$3" ]; then mount --bind "$2" "$3"; fi',
      'mount-disk',
      image,
      rootDir,
      ...bind,
    ]);
  }

  /** A formatted image of `bytes` at `image`: the spare of that size when one is ready, else formatted now. */
  private async newImage(image: string, bytes: number): Promise<void> {
    const spare = join(this.dir, `${bytes}.spare`);
    // Another launch may have taken the spare since: then this one formats its own.
    const took = await rename(spare, image).then(
      () => true,
      () => false,
    );
    if (!took) await format(image, bytes);
    this.formatSpare(bytes);
  }

  /** Formats the next spare of this size in the background (named only once complete). */
  private formatSpare(bytes: number): void {
    if (this.formatting.has(bytes)) return;
    const spare = join(this.dir, `${bytes}.spare`);
    const partial = `${spare}.${randomBytes(4).toString('hex')}`;
    const done = format(partial, bytes)
      .then(() => rename(partial, spare))
      .catch(() => rm(partial, { force: true })) // no spare: the next new image is formatted on its wake
      .finally(() => this.formatting.delete(bytes));
    this.formatting.set(bytes, done);
  }

  /**
   * Mounts every tenant's image that is not mounted (a runtime starting: the
   * pod records and state of tenants an earlier one left are on them).
   */
  async mountAll(): Promise<void> {
    const { tenantsDir } = this;
    const images = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of images.filter((n) => n.endsWith('.img'))) {
      const rootDir = join(tenantsDir, name.slice(0, -'.img'.length));
      if (await isMountPoint(rootDir)) continue;
      await mkdir(rootDir, { recursive: true, mode: 0o700 });
      // One image that does not mount (a damaged one) must not keep the runtime from starting: its dir stays empty.
      // Its reserve, held if the host went down under it, is released: a wake restores into the whole image.
      const image = join(this.dir, name);
      const script = 'tune2fs -r 0 "$1" >/dev/null; mount -o loop,nosuid,nodev "$1" "$2"';
      await run('sh', ['-c', script, 'mount-disk', image, rootDir]).catch(() => undefined);
    }
  }

  /**
   * Unmounts the tenant's dir (lazily when something still holds it); a no-op
   * when it is not mounted. Its reserve is released first, off the next
   * wake's path: that wake's restore may need the whole image.
   */
  async release(rootDir: string): Promise<void> {
    if (!(await isMountPoint(rootDir))) return;
    await setReserved(rootDir, 0).catch(() => undefined); // mountAll releases it at the next start otherwise
    await run('umount', [rootDir]).catch(() => run('umount', ['--lazy', rootDir]));
  }
}

/** A sparse file of `bytes`, formatted ext4 (-m 0: no blocks kept for root; the reserve is set while mounted). */
async function format(image: string, bytes: number): Promise<void> {
  await run('truncate', ['-s', String(bytes), image]);
  await run('mkfs.ext4', ['-q', '-F', '-m', '0', image]);
}

export async function isMountPoint(path: string): Promise<boolean> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  return mountinfo.split('\n').some((line) => line.split(' ')[4] === path);
}
