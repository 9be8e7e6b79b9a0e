import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileMasterKey } from '../../common/crypto.js';
import { S3SnapshotStore } from '../../snapshots/s3-snapshot-store.js';
import { SnapshotStorePort } from '../../snapshots/snapshot-store-port.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

describe('snapshot store port (what the workflow sees)', () => {
  let s3: TestS3;
  let dir: string;
  let store: S3SnapshotStore;
  let port: SnapshotStorePort;

  before(async () => {
    s3 = await startS3();
    dir = await mkdtemp(join(tmpdir(), 'clawfleet-port-'));
    store = new S3SnapshotStore({
      s3: s3.client,
      bucket: s3.bucket,
      masterKey: await FileMasterKey.open(join(dir, 'master.key')),
    });
    port = new SnapshotStorePort(store);
    await mkdir(join(dir, 'state', 'workspace'), { recursive: true });
    await writeFile(join(dir, 'state', 'workspace', 'MEMORY.md'), 'remember the milk\n');
  });
  after(async () => {
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists complete snapshots oldest first, reports the newest as latest, and forgets them all on deleteAll', async () => {
    assert.equal(await port.latest('porty'), null, 'a new tenant has no snapshot');
    const first = await store.save('porty', join(dir, 'state'), { openclawVersion: '2026.9.6' });
    const second = await store.save('porty', join(dir, 'state'), { openclawVersion: '2026.9.6' });
    const listed = await port.list('porty');
    assert.deepEqual(
      listed.map((m) => m.seq),
      [first.manifest.seq, second.manifest.seq],
    );
    assert.deepEqual(await port.latest('porty'), {
      seq: second.manifest.seq,
      sha256: second.manifest.sha256,
      size: second.manifest.size,
      createdAt: second.manifest.createdAt,
      openclawVersion: '2026.9.6',
    });
    await port.deleteAll('porty');
    assert.equal(await port.latest('porty'), null);
    await port.deleteAll('porty'); // nothing left to delete is success
  });
});
