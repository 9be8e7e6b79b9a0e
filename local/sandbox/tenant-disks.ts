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

const run = promisify(execFile);

export class TenantDisks {
  /** Which pod of each tenant holds its mounted dir (tenant id → pod id): only that pod's end unmounts it. */
  private readonly holders = new Map<string, string>();
  /** Spare images being formatted, by size: at most one each. */
  private readonly formatting = new Map<number, Promise<void>>();

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
  async mountFor(tenantId: string, podId: string, bytes: number, alsoAt?: string): Promise<void> {
    this.hold(tenantId, podId);
    await this.mount(tenantId, join(this.tenantsDir, tenantId), bytes, alsoAt);
  }

  /** Unmounts the tenant's dir at this pod's end, unless a newer pod of the tenant holds it now. */
  async releaseFor(tenantId: string, podId: string): Promise<void> {
    if (this.holders.get(tenantId) !== podId) return;
    this.holders.delete(tenantId);
    await this.release(join(this.tenantsDir, tenantId));
  }

  /** At a runtime's close, every held disk (a lost pod's too: the next runtime mounts it again). */
  async releaseAll(): Promise<void> {
    await Promise.all(this.formatting.values());
    for (const [tenantId, podId] of [...this.holders]) await this.releaseFor(tenantId, podId);
  }

  imageOf(tenantId: string): string {
    return join(this.dir, `${tenantId}.img`);
  }

  /**
   * Mounts the tenant's image (made first, if missing or of another size) on
   * its dir, and binds the mounted dir on `alsoAt` too, in one `sh` (a spawn
   * less on the wake's path); only the bind when the dir is mounted already.
   */
  async mount(tenantId: string, rootDir: string, bytes: number, alsoAt?: string): Promise<void> {
    const bind = alsoAt === undefined ? [] : [alsoAt];
    if (await isMountPoint(rootDir)) {
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
      await run('mount', ['-o', 'loop,nosuid,nodev', join(this.dir, name), rootDir]).catch(() => undefined);
    }
  }

  /** Unmounts the tenant's dir (lazily when something still holds it); a no-op when it is not mounted. */
  async release(rootDir: string): Promise<void> {
    if (!(await isMountPoint(rootDir))) return;
    await run('umount', [rootDir]).catch(() => run('umount', ['--lazy', rootDir]));
  }
}

/** A sparse file of `bytes`, formatted ext4 (-m 0: no blocks kept for root, the tenant's budget is all its own). */
async function format(image: string, bytes: number): Promise<void> {
  await run('truncate', ['-s', String(bytes), image]);
  await run('mkfs.ext4', ['-q', '-F', '-m', '0', image]);
}

export async function isMountPoint(path: string): Promise<boolean> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  return mountinfo.split('\n').some((line) => line.split(' ')[4] === path);
}
