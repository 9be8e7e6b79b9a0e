import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { copyLiveState } from '../../supervisor/live-copy.js';

describe('live state copy (SQLite online backup + files)', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'clawfleet-live-copy-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('copies committed rows still in the WAL of an open database, and plain files, but no side files or links', async () => {
    const state = join(dir, 'state');
    await mkdir(join(state, 'state'), { recursive: true });
    await mkdir(join(state, 'workspace'), { recursive: true });
    await writeFile(join(state, 'workspace', 'SOUL.md'), 'be kind');
    await symlink('/etc/passwd', join(state, 'workspace', 'escape'));
    const writer = new DatabaseSync(join(state, 'state', 'openclaw.sqlite'));
    try {
      writer.exec(
        "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('kept')",
      );
      const files = await readdir(join(state, 'state'));
      assert.ok(files.includes('openclaw.sqlite-wal'), 'the row is only in the WAL (the gateway still runs)');
      const copied = await copyLiveState(state, join(dir, 'copy'));
      assert.equal(copied, 1);
    } finally {
      writer.close();
    }
    const copy = new DatabaseSync(join(dir, 'copy', 'state', 'openclaw.sqlite'), { readOnly: true });
    try {
      assert.deepEqual(
        copy
          .prepare('SELECT v FROM t')
          .all()
          .map((r) => r['v']),
        ['kept'],
      );
    } finally {
      copy.close();
    }
    assert.deepEqual((await readdir(join(dir, 'copy', 'state'))).sort(), ['openclaw.sqlite']);
    assert.equal(await readFile(join(dir, 'copy', 'workspace', 'SOUL.md'), 'utf8'), 'be kind');
    assert.deepEqual(await readdir(join(dir, 'copy', 'workspace')), ['SOUL.md']);
  });
});
