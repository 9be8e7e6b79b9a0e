/**
 * The sandboxed tenants' disk images (tenant-disks.ts) on the wake's path:
 * a new tenant's image is a spare formatted beforehand, and the mounted dir
 * is bound on a second point (a pre-built sandbox's slot mount) in the same
 * step. Real loop mounts, as root.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { reserveBytesFor } from '../../../local/sandbox/disk-reserve.js';
import { isMountPoint, TenantDisks } from '../../../local/sandbox/tenant-disks.js';

const BYTES = 16 * 1024 * 1024;

describe('tenant disk images', function () {
  this.timeout(60_000);
  let dataDir: string;
  let disks: TenantDisks;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-disks-'));
    disks = new TenantDisks(join(dataDir, 'disks'), join(dataDir, 'tenants'));
  });

  afterEach(async () => {
    await disks.releaseAll();
    const point = join(dataDir, 'point');
    if (await isMountPoint(point)) execFileSync('umount', [point]);
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Images are the budget plus the reserve (disk-reserve.ts). */
  const spareOf = (budget: number) => join(dataDir, 'disks', `${budget + reserveBytesFor(budget)}.spare`);
  const untilExists = async (path: string) => {
    for (let i = 0; i < 300 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(existsSync(path), `${path} never appeared`);
  };

  it('makes a spare after a new image, and the next new image of that size is that spare', async () => {
    await disks.mountFor('one', 'one-1', BYTES);
    await untilExists(spareOf(BYTES));
    const spare = await stat(spareOf(BYTES));
    await disks.mountFor('two', 'two-1', BYTES);
    const image = await stat(disks.imageOf('two'));
    assert.equal(image.ino, spare.ino, 'the second image is the spare, renamed');
    assert.ok(await isMountPoint(join(dataDir, 'tenants', 'two')));
    // A formatted ext4, mounted: it has its lost+found and takes files.
    assert.ok(existsSync(join(dataDir, 'tenants', 'two', 'lost+found')));
    await untilExists(spareOf(BYTES)); // the next spare, in the background again
  });

  it('binds the mounted dir on a second point in the same step, and again when it is mounted already', async () => {
    const point = join(dataDir, 'point');
    await mkdir(point);
    await disks.mountFor('three', 'three-1', BYTES, point);
    await writeFile(join(dataDir, 'tenants', 'three', 'mark'), 'on the image');
    assert.equal(await readFile(join(point, 'mark'), 'utf8'), 'on the image');
    execFileSync('umount', [point]);
    assert.ok(!existsSync(join(point, 'mark')));
    await disks.mountFor('three', 'three-2', BYTES, point); // mounted already: only the bind
    assert.equal(await readFile(join(point, 'mark'), 'utf8'), 'on the image');
  });
});
