/**
 * The reserve on a sandboxed tenant's disk (disk-reserve.ts), on a real
 * loop-mounted ext4 image as the driver mounts it (tenant-disks.ts), with
 * the tenant's writes made as another uid without capabilities (setpriv),
 * as in the sandbox. Root.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, readdir, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { reserveBytesFor } from '../../../local/sandbox/disk-reserve.js';
import { TenantDisks } from '../../../local/sandbox/tenant-disks.js';

const run = promisify(execFile);
const MiB = 1024 ** 2;
const BUDGET = 32 * MiB;
/** Half this small budget (16 MiB); 64 MiB from a 128 MiB budget up. */
const RESERVE = reserveBytesFor(BUDGET);
/** Not a uid of this host's users: the tenant's, as a sandbox slot's would be. */
const UID = 199_871;

/** `script` run by `sh` as the tenant's uid, no groups, no capabilities; its output and exit code. */
async function asTenant(script: string): Promise<{ out: string; code: number }> {
  const identity = [`--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', '--no-new-privs'];
  const caps = ['--inh-caps=-all', '--bounding-set=-all'];
  return run('setpriv', [...identity, ...caps, 'sh', '-c', `${script} 2>&1`]).then(
    ({ stdout }) => ({ out: stdout, code: 0 }),
    (err: { stdout: string; code: number }) => ({ out: err.stdout, code: err.code }),
  );
}

async function until<T>(what: string, probe: () => T | undefined, ms = 5_000): Promise<T> {
  for (const deadline = Date.now() + ms; Date.now() < deadline;) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`${what}: not within ${ms} ms`);
}

describe('the disk reserve of a sandboxed tenant (real ext4 image)', function () {
  this.timeout(60_000);
  let dataDir: string;
  let disks: TenantDisks;
  let rootDir: string;
  let reports: (string | null)[];
  let errors: unknown[];

  /** Root's reserved bytes beyond ext4's own slack: what the tenant's uid cannot use. */
  const keptBack = async () => {
    const fs = await statfs(rootDir);
    return (fs.bfree - fs.bavail) * fs.bsize;
  };
  const wake = async (podId: string) => {
    await disks.mountFor('t', podId, BUDGET);
    // The tenant's uid passes through to its dir (in the sandbox, bubblewrap's mount view does that).
    for (const dir of [dataDir, join(dataDir, 'tenants')]) await chmod(dir, 0o755);
    await chown(rootDir, UID, UID);
    // As the driver does once the pod is ready (its restore done).
    await disks.watchReserve(
      't',
      podId,
      BUDGET,
      (detail) => reports.push(detail),
      (err) => errors.push(err),
    );
  };

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-reserve-'));
    disks = new TenantDisks(join(dataDir, 'disks'), join(dataDir, 'tenants'));
    rootDir = join(dataDir, 'tenants', 't');
    reports = [];
    errors = [];
  });

  afterEach(async () => {
    await disks.releaseAll();
    await rm(dataDir, { recursive: true, force: true });
    assert.deepEqual(errors, []);
  });

  it('holds a reserve the tenant cannot take, releases it once the agent fills the disk, and holds it again once room is back', async () => {
    await wake('t-1');
    assert.ok((await keptBack()) >= RESERVE, `held at the start: ${await keptBack()}`);
    // Nothing of it is in the tenant's dir (the snapshot reads a part of it): the reserve is root's blocks.
    assert.deepEqual(await readdir(rootDir), ['lost+found']);
    // The tenant's uid cannot release it: the device is root's, and it has no CAP_SYS_RESOURCE.
    const device = (await run('findmnt', ['-n', '-o', 'SOURCE', rootDir])).stdout.trim();
    const tune = await asTenant(`tune2fs -r 0 ${device}`);
    assert.notEqual(tune.code, 0, tune.out);
    assert.match(tune.out, /Permission denied/, tune.out);

    // The agent's fill stops at its budget, and its file stays.
    const fill = await asTenant(`dd if=/dev/zero of=${rootDir}/fill.bin bs=1M count=${(2 * BUDGET) / MiB}`);
    assert.match(fill.out, /No space left on device/, fill.out);
    const copied = Number(/(\d+) bytes .*copied/.exec(fill.out)?.[1]);
    assert.ok(copied > BUDGET / 2 && copied < BUDGET, `stopped at its budget: ${copied}`);

    // The host releases the reserve and says why; OpenClaw (the same uid) has room again.
    const detail = await until('the release reported', () => reports[0]);
    assert.match(detail ?? '', /filled its 32 MiB budget; its 16 MiB reserve was released/);
    assert.ok((await keptBack()) < RESERVE / 4, `released: ${await keptBack()}`);
    const more = await asTenant(`dd if=/dev/zero of=${rootDir}/state.db bs=1M count=8 2>&1 | tail -n 1`);
    assert.match(more.out, /8388608 bytes/, more.out);

    // The agent deletes its file: the reserve is held again, and the reason cleared (a null report).
    await asTenant(`rm ${rootDir}/fill.bin`);
    await until('held again', () => (reports.length === 2 ? true : undefined));
    assert.equal(reports[1], null);
    assert.ok((await keptBack()) >= RESERVE);

    // Its stop unmounts the image with the reserve released: the next wake's restore has the whole image.
    await disks.releaseFor('t', 't-1');
    await disks.mountFor('t', 't-2', BUDGET);
    assert.ok((await keptBack()) < RESERVE / 4, `released for the next wake: ${await keptBack()}`);
  });

  it('a reused image has its reserve released before it is unmounted, so a restore up to the whole image fits; a full one says so at wake', async () => {
    await wake('t-1');
    // Its state went over the budget while the reserve was released (the case above), and it went to sleep.
    await asTenant(`dd if=/dev/zero of=${rootDir}/fill.bin bs=1M count=${(2 * BUDGET) / MiB}`);
    await until('the release reported', () => reports[0]);
    await asTenant(`dd if=/dev/zero of=${rootDir}/state.db bs=1M count=24`);
    const usedBefore = await statfs(rootDir);
    const used = usedBefore.blocks - usedBefore.bfree;
    await disks.releaseFor('t', 't-1');

    // The next wake mounts the same image: nothing is kept back while the supervisor restores.
    await disks.mountFor('t', 't-2', BUDGET);
    assert.ok((await keptBack()) < RESERVE / 4, `released: ${await keptBack()}`);
    const fs = await statfs(rootDir);
    assert.ok(
      Math.abs(fs.blocks - fs.bfree - used) < used / 100,
      `the same content: ${fs.blocks - fs.bfree} of ${used}`,
    );
    // Ready with its budget still full: no reserve, and the reason says so.
    await chown(rootDir, UID, UID);
    reports = [];
    await disks.watchReserve(
      't',
      't-2',
      BUDGET,
      (d) => reports.push(d),
      (err) => errors.push(err),
    );
    assert.match(reports[0] ?? '', /budget was \(nearly\) full when it woke; no reserve is held/);
    assert.ok((await keptBack()) < RESERVE / 4);
  });
});
