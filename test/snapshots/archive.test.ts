import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packDirectory } from '../../snapshots/archive.js';
import { ArchiveLimitError } from '../../snapshots/errors.js';
import { extractTar } from '../../snapshots/extract.js';
import { openSealed, sealDirectory } from '../../snapshots/pipeline.js';
import { makeStateDir, snapshotOf, tempDir } from './fixtures.js';

describe('packing a state dir', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let source: string;
  let restored: string;
  beforeEach(async () => {
    dir = await tempDir();
    source = join(dir.path, 'state');
    restored = join(dir.path, 'restored');
    await mkdir(source);
    await mkdir(restored);
  });
  afterEach(() => dir.remove());

  async function packAndExtract() {
    const packed = packDirectory(source);
    await extractTar(packed.tar, restored);
    return packed.done;
  }

  it('keeps the durable parts byte for byte and drops cache, tmp, media, logs and live WAL/SHM files', async () => {
    await makeStateDir(source, 300_000);
    const stats = await packAndExtract();
    const before = await snapshotOf(source);
    const after = await snapshotOf(restored);
    const dropped = (p: string) => /^(cache|tmp|media)(\/|$)|\.log$|-(wal|shm)$/.test(p);
    assert.deepEqual(after, Object.fromEntries(Object.entries(before).filter(([p]) => !dropped(p))));
    assert.deepEqual(stats.skipped.map((s) => s.path).sort(), [
      'cache',
      'gateway.log',
      'media',
      'state/openclaw.sqlite-shm',
      'state/openclaw.sqlite-wal',
      'tmp',
    ]);
  });

  it('preserves file modes (openclaw.json stays 600) and modification times', async () => {
    await writeFile(join(source, 'openclaw.json'), '{}', { mode: 0o600 });
    await mkdir(join(source, 'workspace'));
    await writeFile(join(source, 'workspace', 'script.sh'), 'echo', { mode: 0o755 });
    await packAndExtract();
    assert.equal((await stat(join(restored, 'openclaw.json'))).mode & 0o777, 0o600);
    assert.equal((await stat(join(restored, 'workspace/script.sh'))).mode & 0o777, 0o755);
    const [a, b] = await Promise.all([
      stat(join(source, 'openclaw.json')),
      stat(join(restored, 'openclaw.json')),
    ]);
    assert.equal(Math.floor(a.mtimeMs / 1000), Math.floor(b.mtimeMs / 1000));
  });

  it('keeps symlinks inside the state dir and drops ones an agent pointed outside, and fifos', async () => {
    await mkdir(join(source, 'workspace', 'notes'), { recursive: true });
    await writeFile(join(source, 'workspace', 'notes', 'a.md'), 'a');
    await symlink('notes/a.md', join(source, 'workspace', 'latest.md'));
    await symlink('/etc/passwd', join(source, 'workspace', 'passwd'));
    await symlink('../../outside', join(source, 'workspace', 'up'));
    execFileSync('mkfifo', [join(source, 'workspace', 'pipe')]);
    const stats = await packAndExtract();
    assert.equal(await readlink(join(restored, 'workspace', 'latest.md')), 'notes/a.md');
    assert.deepEqual(stats.skipped.map((s) => s.path).sort(), [
      'workspace/passwd',
      'workspace/pipe',
      'workspace/up',
    ]);
  });

  it('refuses to pack a state dir beyond the limits restore would enforce', async () => {
    await mkdir(join(source, 'workspace'));
    for (let i = 0; i < 5; i++) await writeFile(join(source, 'workspace', `f${i}`), randomBytes(100));
    const tooMany = packDirectory(source, { limits: { maxFiles: 3, maxBytes: 1e6 } });
    tooMany.tar.on('error', () => undefined).resume();
    await assert.rejects(
      tooMany.done,
      (err: unknown) => err instanceof ArchiveLimitError && err.limit === 'files',
    );
    const tooBig = packDirectory(source, { limits: { maxFiles: 100, maxBytes: 250 } });
    tooBig.tar.on('error', () => undefined).resume();
    await assert.rejects(
      tooBig.done,
      (err: unknown) => err instanceof ArchiveLimitError && err.limit === 'bytes',
    );
  });

  it('seals and opens a state dir through zstd and encryption unchanged', async () => {
    await makeStateDir(source, 200_000);
    const key = { key: randomBytes(32), keyId: 'dk-0001', context: Buffer.from('tenant=acme\0seq=1') };
    const sealed = await sealDirectory(source, join(dir.path, 'body'), key);
    assert.equal(sealed.size, (await stat(sealed.path)).size);
    const stats = await openSealed(sealed.path, restored, key);
    assert.equal(stats.bytes, sealed.pack.unpackedBytes);
    assert.equal(stats.entries, sealed.pack.files);
    assert.equal(
      (await snapshotOf(restored))['workspace/AGENTS.md'],
      (await snapshotOf(source))['workspace/AGENTS.md'],
    );
  });
});
