/**
 * The shared compile cache as a sandbox's uid sees it: linked under the uid's
 * name, and readable even after the worker's own user wrote new entries
 * (Node writes them with mode 600 whatever the umask).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linkCompileCache } from '../../local/sandbox/compile-cache-links.js';

describe('compile cache links (local/sandbox/compile-cache-links.ts)', () => {
  let cache: string;
  const owner = 4242;
  const tag = 'v24.21.0-x64-964aae3f';
  const mode = async (path: string) => (await stat(path)).mode & 0o777;

  beforeEach(async () => {
    cache = await mkdtemp(join(tmpdir(), 'cc-links-'));
    await mkdir(join(cache, `${tag}-${owner}`), { mode: 0o755 });
  });
  afterEach(() => rm(cache, { recursive: true, force: true }));

  it("links each of the owner's tag directories under the uid, once", async () => {
    assert.deepEqual(await linkCompileCache(cache, 200_001, owner), [`${tag}-200001`]);
    assert.equal(await readlink(join(cache, `${tag}-200001`)), `${tag}-${owner}`);
    assert.deepEqual(await linkCompileCache(cache, 200_001, owner), [], 'a second call makes no link');
  });

  it('makes entries the owner wrote after the warm-up readable again, also on a later call', async () => {
    const dir = join(cache, `${tag}-${owner}`);
    await writeFile(join(dir, 'aaaa0001'), 'entry', { mode: 0o600 });
    await linkCompileCache(cache, 200_002, owner);
    assert.equal(await mode(join(dir, 'aaaa0001')), 0o644);
    // A new entry after the first call (the directory changed): made readable on the next launch's call.
    await new Promise((resolve) => setTimeout(resolve, 20)); // a distinct directory mtime
    await writeFile(join(dir, 'aaaa0002'), 'entry', { mode: 0o600 });
    await linkCompileCache(cache, 200_003, owner);
    assert.equal(await mode(join(dir, 'aaaa0002')), 0o644);
  });
});
