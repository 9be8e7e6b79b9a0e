/**
 * How a pre-built sandbox (warm-sandboxes.ts) gets its tenant's directory
 * after it was built: the slot's `tenants` dir on the host is a shared mount
 * point, bound into the sandbox at `<dataDir>/tenants` before any tenant is
 * known. bubblewrap makes every mount of the sandbox a slave of the host's,
 * so binding the claiming tenant's own dir onto `<slot>/tenants/<id>` on the
 * host (right after its disk is mounted, in the same step) makes it appear
 * inside at its usual path, and nothing else of the
 * tenants dir ever does. Releasing unmounts it again (on the host and, by
 * propagation, inside), before the sandbox is torn down.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isMountPoint } from './tenant-disks.js';

const run = promisify(execFile);

export class SlotMount {
  constructor(
    /** `<dataDir>/sandboxes/slot-<n>/tenants`: empty, root's, mode 755. */
    readonly point: string,
  ) {}

  /** An empty shared mount point (a leftover of a runtime that died is released first). */
  async prepare(): Promise<void> {
    await this.release();
    await mkdir(this.point, { recursive: true, mode: 0o755 });
    await run('mount', ['--bind', this.point, this.point]);
    await run('mount', ['--make-shared', this.point]);
  }

  /**
   * Where the tenant's dir is bound for it to appear in the sandbox at
   * `<dataDir>/tenants/<id>`, its own path: made empty here, bound by the
   * disk's mount (tenant-disks.ts `mountFor`).
   */
  async pointFor(tenantId: string): Promise<string> {
    const target = join(this.point, tenantId);
    await mkdir(target, { mode: 0o700 });
    return target;
  }

  /** Unmounts the tenant's dir and the point itself; a no-op when nothing is mounted. */
  async release(): Promise<void> {
    if (!existsSync(this.point)) return;
    if (await isMountPoint(this.point)) await run('umount', ['--recursive', '--lazy', this.point]);
    // Only empty directories are removed: never a tenant's files, should a mount have survived.
    for (const entry of await readdir(this.point))
      await rmdir(join(this.point, entry)).catch(() => undefined);
    await rmdir(this.point).catch(() => undefined);
  }
}
