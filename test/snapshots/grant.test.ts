import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { DataKeyError } from '../../snapshots/errors.js';
import { GrantHolder, parseSnapshotGrant, SnapshotNotGrantedError } from '../../snapshots/grant.js';
import type { SnapshotGrantIssuer } from '../../snapshots/grant-issuer.js';
import { GrantedDataKeys, GrantedObjects } from '../../snapshots/granted-access.js';
import { S3SnapshotStore } from '../../snapshots/s3-snapshot-store.js';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { testGrants, type TestGrants } from '../helpers/snapshot-grants.js';
import { labelledStateDir, memoryOf, tempDir } from './fixtures.js';

describe('tenant snapshot grants (presigned URLs against s3rver)', () => {
  let s3: TestS3;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let grants: TestGrants;
  let full: S3SnapshotStore;
  let issuer: SnapshotGrantIssuer;

  before(async () => (s3 = await startS3()));
  after(() => s3.close());
  beforeEach(async () => {
    dir = await tempDir();
    grants = await testGrants(s3, join(dir.path, 'master.key'), { uploadSlots: 2 });
    ({ store: full, issuer } = grants);
  });
  afterEach(async () => {
    grants.close();
    await dir.remove();
  });

  const stateDir = (label: string) => labelledStateDir(dir.path, label, 20_000);
  const grantedStore = (holder: GrantHolder) =>
    new S3SnapshotStore({ objects: new GrantedObjects(holder), keys: new GrantedDataKeys(holder) });
  const issue = async (tenantId: string, latestSeq?: number) =>
    new GrantHolder(tenantId, JSON.stringify(await issuer.issue(tenantId, { latestSeq: latestSeq ?? null })));

  it('lets a supervisor save and restore its own snapshots with no credentials or master key', async () => {
    const holder = await issue('grant-a');
    const saved = await grantedStore(holder).save('grant-a', await stateDir('first'), {
      openclawVersion: 'x',
    });
    assert.equal(saved.manifest.seq, 1);
    // The worker reads it with full access: same data key, same layout.
    await full.restore('grant-a', 1, join(dir.path, 'by-worker'));
    assert.match(await memoryOf(join(dir.path, 'by-worker')), /first/);

    const next = await issue('grant-a', 1);
    const restored = await grantedStore(next).restoreLatest('grant-a', join(dir.path, 'by-pod'), {
      latestSeq: 1,
    });
    assert.equal(restored.manifest?.seq, 1);
    assert.match(await memoryOf(join(dir.path, 'by-pod')), /first/);
  });

  it('refuses every key, listing and data key of another tenant before sending anything', async () => {
    await full.save('grant-b', await stateDir('secret-of-b'), { openclawVersion: 'x' });
    const store = grantedStore(await issue('grant-c'));
    await assert.rejects(store.list('grant-b'), SnapshotNotGrantedError);
    await assert.rejects(store.restore('grant-b', 1, join(dir.path, 'stolen')), SnapshotNotGrantedError);
    await assert.rejects(
      store.save('grant-b', await stateDir('x'), { openclawVersion: 'x' }),
      SnapshotNotGrantedError,
    );
    await assert.rejects(new GrantedDataKeys(await issue('grant-c')).get('grant-b', 'dk-0001'), DataKeyError);
    await assert.rejects(store.prune('grant-c', 1), SnapshotNotGrantedError);
  });

  it('rejects a grant for another tenant or one that names foreign keys', async () => {
    const grant = await issuer.issue('grant-d');
    assert.throws(() => parseSnapshotGrant(JSON.stringify(grant), 'grant-e'), SnapshotNotGrantedError);
    const [key, url] = Object.entries(grant.put)[0]!;
    const tampered = { ...grant, put: { [key.replace('grant-d', 'grant-e')]: url } };
    assert.throws(() => parseSnapshotGrant(JSON.stringify(tampered), 'grant-d'), /outside the tenant/);
    assert.throws(() => parseSnapshotGrant('{"format":"nope"}', 'grant-d'), SnapshotNotGrantedError);
    assert.throws(() => parseSnapshotGrant('not json', 'grant-d'), SnapshotNotGrantedError);
  });

  it('gives each tenant its own data key and signs create-only uploads', async () => {
    const [f, g] = await Promise.all([issuer.issue('grant-f'), issuer.issue('grant-g')]);
    assert.notEqual(f.dataKeys.keys[f.dataKeys.current], g.dataKeys.keys[g.dataKeys.current]);
    for (const url of Object.values(f.put)) {
      const query = new URL(url).searchParams;
      assert.match(query.get('X-Amz-SignedHeaders') ?? '', /if-none-match/);
      assert.ok(![...query.keys()].some((k) => k.toLowerCase().startsWith('x-amz-checksum')), url);
    }
    assert.equal(Object.keys(f.put).length, 4, 'two upload slots: body and manifest each');
  });

  it('runs out of upload slots and continues after a refreshed grant', async () => {
    const holder = await issue('grant-h');
    const store = grantedStore(holder);
    await store.save('grant-h', await stateDir('one'), { openclawVersion: 'x' });
    await store.save('grant-h', await stateDir('two'), { openclawVersion: 'x' });
    await assert.rejects(
      store.save('grant-h', await stateDir('three'), { openclawVersion: 'x' }),
      /not granted/,
    );
    holder.replace(JSON.stringify(await issuer.issue('grant-h', { latestSeq: 2 })));
    const third = await store.save('grant-h', await stateDir('three-again'), { openclawVersion: 'x' });
    assert.equal(third.manifest.seq, 3);
    assert.deepEqual(
      (await full.list('grant-h')).map((s) => s.seq),
      [1, 2, 3],
    );
  });
});
