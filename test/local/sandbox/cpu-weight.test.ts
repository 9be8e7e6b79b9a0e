/**
 * The sandboxes' parent cpu group weighs what its groups weigh together
 * (local/sandbox/cpu-weight.ts), on the real cgroup v1 cpu hierarchy of this
 * machine kind (root needed; a missing hierarchy fails).
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CGROUP_ROOT } from '../../../local/sandbox/cgroup.js';
import { balanceParentWeight } from '../../../local/sandbox/cpu-weight.js';

describe('the sandboxes’ parent cpu group (cgroup v1 cpu.shares)', () => {
  const parent = join(CGROUP_ROOT, 'cpu', `clawfleet-weight-test-${randomBytes(3).toString('hex')}`);
  const child = (name: string) => join(parent, name);
  const shares = async (dir: string) => Number((await readFile(join(dir, 'cpu.shares'), 'utf8')).trim());

  let sleeper: ChildProcess | undefined;

  after(async () => {
    sleeper?.kill('SIGKILL');
    for (const name of ['free', 'standard']) await rmdir(child(name)).catch(() => undefined);
    await rmdir(parent).catch(() => undefined);
  });

  it('weighs the sum of the weights of its sandboxes in use, and the default again once they are gone', async () => {
    await mkdir(parent);
    assert.equal(await shares(parent), 1024, 'the kernel’s default: every tenant together as one process');
    await mkdir(child('free'));
    await writeFile(join(child('free'), 'cpu.shares'), '256');
    assert.equal(await balanceParentWeight(parent, 'free'), 256, 'the sandbox being created counts');
    await mkdir(child('standard'));
    await writeFile(join(child('standard'), 'cpu.shares'), '512');
    assert.equal(await balanceParentWeight(parent, 'standard'), 512, 'an empty group does not');
    sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    await writeFile(join(child('free'), 'cgroup.procs'), String(sleeper.pid));
    assert.equal(await balanceParentWeight(parent), 256, 'the group holding a process counts');
    assert.equal(await shares(parent), 256);
    sleeper.kill('SIGKILL');
    await once(sleeper, 'exit');
    await rmdir(child('standard'));
    await rmdir(child('free'));
    assert.equal(await balanceParentWeight(parent), 1024);
    assert.equal(await shares(parent), 1024);
  });
});
