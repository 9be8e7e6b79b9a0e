import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileMasterKey, MasterKeyError } from '../../common/crypto.js';
import { InvalidTenantIdError } from '../../common/errors.js';
import { NoRestorableSnapshotError, SnapshotExistsError } from '../../snapshots/errors.js';
import { S3SnapshotStore } from '../../snapshots/s3-snapshot-store.js';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { labelledStateDir, memoryOf, snapshotOf, tempDir } from './fixtures.js';

describe('S3 snapshot store (against s3rver)', () => {
  let s3: TestS3;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: S3SnapshotStore;
  let tenant = 0;
  let tenantId: string;

  before(async () => (s3 = await startS3()));
  after(() => s3.close());
  beforeEach(async () => {
    dir = await tempDir();
    store = new S3SnapshotStore({
      s3: s3.client,
      bucket: s3.bucket,
      masterKey: await FileMasterKey.open(join(dir.path, 'master.key')),
    });
    tenantId = `tenant-${++tenant}`;
  });
  afterEach(() => dir.remove());

  const stateDir = (label: string) => labelledStateDir(dir.path, label);
  const object = async (key: string) =>
    Buffer.from(
      await (
        await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))
      ).Body!.transformToByteArray(),
    );
  const overwrite = (key: string, body: Buffer) =>
    s3.client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: key,
        Body: body,
        ChecksumSHA256: createHash('sha256').update(body).digest('base64'),
      }),
    );
  const bodyKey = (seq: number) =>
    `tenants/${tenantId}/snapshots/${String(seq).padStart(10, '0')}.tar.zst.enc`;
  const manifestKey = (seq: number) =>
    `tenants/${tenantId}/snapshots/${String(seq).padStart(10, '0')}.manifest.json`;

  it('saves a state dir and restores it byte for byte into a new directory', async () => {
    const source = await stateDir('one');
    const { manifest, dropped } = await store.save(tenantId, source, { openclawVersion: '2026.9.6' });
    assert.equal(manifest.seq, 1);
    assert.equal(manifest.keyId, 'dk-0001');
    assert.ok(dropped.some((d) => d.path === 'cache'));
    const target = join(dir.path, 'restored');
    const result = await store.restoreLatest(tenantId, target);
    assert.deepEqual(result, { manifest, skipped: [] });
    const expected = await snapshotOf(source);
    for (const path of Object.keys(expected))
      if (/^(cache|tmp|media)|\.log$|-(wal|shm)$/.test(path)) delete expected[path];
    assert.deepEqual(await snapshotOf(target), expected);
  });

  it('numbers snapshots upward under zero-padded keys, body first and manifest last, with the wrapped key beside them', async () => {
    const source = await stateDir('a');
    for (let i = 0; i < 3; i++) await store.save(tenantId, source, { openclawVersion: '2026.9.6' });
    const listing = await store.list(tenantId);
    assert.deepEqual(
      listing.map((s) => [s.seq, s.complete]),
      [
        [1, true],
        [2, true],
        [3, true],
      ],
    );
    const manifest = JSON.parse((await object(manifestKey(3))).toString()) as Record<string, unknown>;
    const body = await object(bodyKey(3));
    assert.equal(manifest['sha256'], createHash('sha256').update(body).digest('hex'));
    assert.equal(manifest['size'], body.length);
    assert.equal(body.subarray(0, 4).toString(), 'CFSE');
    const keyRecord = JSON.parse(
      (await object(`tenants/${tenantId}/keys/dk-0001.json`)).toString(),
    ) as Record<string, unknown>;
    assert.equal(keyRecord['tenantId'], tenantId);
    assert.ok(typeof keyRecord['wrappedKey'] === 'string' && !('key' in keyRecord));
  });

  it('continues above the registry hint and refuses to overwrite an existing seq', async () => {
    const source = await stateDir('a');
    assert.equal(
      (await store.save(tenantId, source, { openclawVersion: 'v', latestSeq: 41 })).manifest.seq,
      42,
    );
    await assert.rejects(
      store.save(tenantId, source, { openclawVersion: 'v', seq: 42 }),
      SnapshotExistsError,
    );
    assert.equal((await store.save(tenantId, source, { openclawVersion: 'v', seq: 7 })).manifest.seq, 7);
  });

  it('when the newest snapshot is corrupt, restores the previous one and reports the skipped one', async () => {
    await store.save(tenantId, await stateDir('first'), { openclawVersion: 'v' });
    await store.save(tenantId, await stateDir('second'), { openclawVersion: 'v' });
    const body = await object(bodyKey(2));
    body[body.length >> 1]! ^= 0xff;
    await overwrite(bodyKey(2), body);
    const target = join(dir.path, 'restored');
    const { manifest, skipped } = await store.restoreLatest(tenantId, target);
    assert.equal(manifest?.seq, 1);
    assert.deepEqual(
      skipped.map((s) => [s.seq, s.code]),
      [[2, 'SNAPSHOT_CORRUPT']],
    );
    assert.match(skipped[0]!.reason, /does not match its manifest/);
    assert.match(await memoryOf(target), /Memory first/);
  });

  it('refuses a body whose manifest was rewritten to match it (authentication, not just the checksum)', async () => {
    await store.save(tenantId, await stateDir('first'), { openclawVersion: 'v' });
    await store.save(tenantId, await stateDir('second'), { openclawVersion: 'v' });
    const body = await object(bodyKey(2));
    body[body.length - 100]! ^= 0x01;
    await overwrite(bodyKey(2), body);
    const manifest = JSON.parse((await object(manifestKey(2))).toString()) as Record<string, unknown>;
    manifest['sha256'] = createHash('sha256').update(body).digest('hex');
    await overwrite(manifestKey(2), Buffer.from(JSON.stringify(manifest)));
    const { manifest: restored, skipped } = await store.restoreLatest(tenantId, join(dir.path, 'restored'));
    assert.equal(restored?.seq, 1);
    assert.deepEqual(
      skipped.map((s) => s.code),
      ['DECRYPT_FAILED'],
    );
  });

  it('refuses a snapshot copied from another tenant, or renumbered, even with a matching manifest', async () => {
    const other = `${tenantId}-other`;
    await store.save(other, await stateDir('theirs'), { openclawVersion: 'v' });
    await store.save(tenantId, await stateDir('mine'), { openclawVersion: 'v' });
    // Copy the other tenant's body in as seq 2, and our own seq 1 in as seq 3, each with a matching manifest.
    const copies: [string, number][] = [
      [`tenants/${other}/snapshots/0000000001`, 2],
      [`tenants/${tenantId}/snapshots/0000000001`, 3],
    ];
    for (const [from, seq] of copies) {
      const body = await object(`${from}.tar.zst.enc`);
      const manifest = JSON.parse((await object(`${from}.manifest.json`)).toString()) as Record<
        string,
        unknown
      >;
      await overwrite(bodyKey(seq), body);
      await overwrite(manifestKey(seq), Buffer.from(JSON.stringify({ ...manifest, tenantId, seq })));
    }
    const target = join(dir.path, 'restored');
    const { manifest, skipped } = await store.restoreLatest(tenantId, target);
    assert.equal(manifest?.seq, 1);
    assert.deepEqual(
      skipped.map((s) => [s.seq, s.code]),
      [
        [3, 'DECRYPT_FAILED'],
        [2, 'DECRYPT_FAILED'],
      ],
    );
    assert.match(await memoryOf(target), /Memory mine/);
  });

  it('leaves the existing state dir untouched when no snapshot can be restored', async () => {
    await store.save(tenantId, await stateDir('only'), { openclawVersion: 'v' });
    await overwrite(bodyKey(1), Buffer.from('garbage'));
    const target = join(dir.path, 'live');
    await mkdir(target);
    await writeFile(join(target, 'keep'), 'keep');
    await assert.rejects(store.restoreLatest(tenantId, target), NoRestorableSnapshotError);
    assert.deepEqual(await readdir(target), ['keep']);
    assert.deepEqual(
      (await readdir(dir.path)).filter((n) => n.startsWith('.')),
      [],
    );
  });

  it('restores nothing for a tenant without snapshots, but fails when the registry says one exists', async () => {
    const target = join(dir.path, 'fresh');
    assert.deepEqual(await store.restoreLatest(tenantId, target), { manifest: undefined, skipped: [] });
    await assert.rejects(store.restoreLatest(tenantId, target, { latestSeq: 3 }), NoRestorableSnapshotError);
  });

  it('with a registry hint, ignores unacknowledged newer snapshots and reports a missing hinted one', async () => {
    for (const label of ['s1', 's2', 's3'])
      await store.save(tenantId, await stateDir(label), { openclawVersion: 'v' });
    const target = join(dir.path, 'restored');
    const hinted = await store.restoreLatest(tenantId, target, { latestSeq: 2 });
    assert.equal(hinted.manifest?.seq, 2);
    assert.deepEqual(hinted.skipped, []);
    const lost = await store.restoreLatest(tenantId, target, { latestSeq: 5 });
    assert.equal(lost.manifest?.seq, 3);
    assert.deepEqual(
      lost.skipped.map((s) => s.seq),
      [5],
    );
  });

  it('prunes to the newest N complete snapshots and abandoned partial ones, never the newest', async () => {
    const source = await stateDir('p');
    for (let i = 0; i < 5; i++) await store.save(tenantId, source, { openclawVersion: 'v' });
    await overwrite(bodyKey(6), Buffer.from('a save still uploading'));
    await s3.client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: bodyKey(2).replace('.tar.zst.enc', '.tmp'), Body: 'x' }),
    );
    assert.deepEqual(await store.prune(tenantId, 2), [1, 2, 3]);
    assert.deepEqual(
      (await store.list(tenantId)).map((s) => [s.seq, s.complete]),
      [
        [4, true],
        [5, true],
        [6, false],
      ],
    );
    assert.deepEqual(await store.prune(tenantId, 1, { latestSeq: 4 }), []);
    await assert.rejects(store.prune(tenantId, 0), RangeError);
  });

  it('deletes every object of a tenant, its data keys included, and nothing of another tenant', async () => {
    const other = `${tenantId}-keep`;
    const source = await stateDir('d');
    await store.save(tenantId, source, { openclawVersion: 'v' });
    await store.save(other, source, { openclawVersion: 'v' });
    assert.equal(await store.deleteAll(tenantId), 3);
    assert.deepEqual(await store.list(tenantId), []);
    assert.equal((await store.list(other)).length, 1);
  });

  it('fails without falling back when the master key is not the one that wrapped the data key', async () => {
    await store.save(tenantId, await stateDir('k'), { openclawVersion: 'v' });
    const stranger = new S3SnapshotStore({
      s3: s3.client,
      bucket: s3.bucket,
      masterKey: await FileMasterKey.open(join(dir.path, 'other.key')),
    });
    await assert.rejects(stranger.restoreLatest(tenantId, join(dir.path, 'restored')), MasterKeyError);
  });

  it('uses a rotated data key for new snapshots and keeps old ones readable', async () => {
    await store.save(tenantId, await stateDir('old'), { openclawVersion: 'v' });
    assert.equal(await store.rotateDataKey(tenantId), 'dk-0002');
    const { manifest } = await store.save(tenantId, await stateDir('new'), { openclawVersion: 'v' });
    assert.equal(manifest.keyId, 'dk-0002');
    const target = join(dir.path, 'restored');
    await store.restore(tenantId, 1, target);
    assert.match(await memoryOf(target), /Memory old/);
  });

  it('refuses invalid tenant ids before they become keys', async () => {
    await assert.rejects(store.save('../evil', dir.path, { openclawVersion: 'v' }), InvalidTenantIdError);
    await assert.rejects(store.restoreLatest('A/B', dir.path), InvalidTenantIdError);
  });
});
