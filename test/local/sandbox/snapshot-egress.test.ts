import { strict as assert } from 'node:assert';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { EgressProxy, egressRoutes } from '../../../local/sandbox/egress.js';
import { presignedRefusal } from '../../../snapshots/presigned-check.js';
import { startS3, type TestS3 } from '../../helpers/s3.js';

/**
 * The sandbox's egress to the embedded snapshot store (s3rver, which checks no
 * signature): requests through the route's unix socket, as a tenant's would
 * arrive from inside its sandbox. Only presigned ones reach the store.
 */
describe('sandbox egress to an embedded snapshot store', () => {
  let s3: TestS3;
  let dir: string;
  let proxy: EgressProxy;
  let presigner: S3Client;
  const refusals: string[] = [];
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

  before(async () => {
    s3 = await startS3('egress-guard');
    dir = await mkdtemp(join(tmpdir(), 'clawfleet-egress-'));
    presigner = new S3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    const routes = egressRoutes([s3.endpoint], [new URL(s3.endpoint).host]);
    proxy = new EgressProxy(join(dir, 'egress'), routes, (err) => refusals.push(err.message), [
      { name: routes[0]!.name, refusal: (r) => presignedRefusal(r, credentials) },
    ]);
    await proxy.start();
    await s3.client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: 'tenants/other/snapshots/000001.body', Body: 'theirs' }),
    );
  });
  after(async () => {
    await proxy?.close();
    presigner?.destroy();
    await s3?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** One HTTP request over the route's unix socket, as the sandbox's forwarder sends it. */
  const viaEgress = (url: string, method = 'GET', headers: Record<string, string> = {}, body?: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const u = new URL(url);
      const req = request(
        {
          socketPath: proxy.forwards()[0]!.socket,
          method,
          path: u.pathname + u.search,
          headers: {
            host: u.host,
            ...headers,
            ...(body ? { 'content-length': Buffer.byteLength(body) } : {}),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.once('error', reject);
      req.end(body);
    });

  it('passes presigned requests: a create-only PUT and a GET of the tenant’s own key', async () => {
    const key = 'tenants/acme/snapshots/000001.body';
    const put = await getSignedUrl(
      presigner,
      new PutObjectCommand({ Bucket: s3.bucket, Key: key, IfNoneMatch: '*' }),
      { expiresIn: 60, signableHeaders: new Set(['if-none-match']) },
    );
    assert.equal((await viaEgress(put, 'PUT', { 'if-none-match': '*' }, 'mine')).status, 200);
    const get = await getSignedUrl(presigner, new GetObjectCommand({ Bucket: s3.bucket, Key: key }), {
      expiresIn: 60,
    });
    assert.deepEqual(await viaEgress(get), { status: 200, body: 'mine' });
  });

  it('refuses what s3rver itself would serve: unsigned listing, reads, overwrites and deletes of any tenant', async () => {
    const base = `${s3.endpoint}/${s3.bucket}`;
    const before = refusals.length;
    const list = await viaEgress(`${base}/?list-type=2&prefix=tenants%2F`);
    assert.equal(list.status, 403);
    assert.match(list.body, /AccessDenied/);
    assert.doesNotMatch(list.body, /other/, 'no other tenant’s key is named');
    assert.equal((await viaEgress(`${base}/tenants/other/snapshots/000001.body`)).status, 403);
    assert.equal(
      (await viaEgress(`${base}/tenants/other/snapshots/000001.body`, 'PUT', {}, 'x')).status,
      403,
    );
    assert.equal((await viaEgress(`${base}/tenants/other/snapshots/000001.body`, 'DELETE')).status, 403);
    assert.equal(refusals.length - before, 4, 'each refusal is reported');
    const theirs = await s3.client.send(
      new GetObjectCommand({ Bucket: s3.bucket, Key: 'tenants/other/snapshots/000001.body' }),
    );
    assert.equal(await theirs.Body?.transformToString(), 'theirs', 'nothing of theirs changed');
  });
});
