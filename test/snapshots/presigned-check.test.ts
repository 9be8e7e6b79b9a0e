import { strict as assert } from 'node:assert';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { presignedRefusal, type PresignedRequest } from '../../snapshots/presigned-check.js';

/** URLs presigned by the AWS SDK exactly as the grant issuer signs them, checked without any server. */
describe('presigned snapshot-store requests', () => {
  const credentials = { accessKeyId: 'CLAWFLEETKEY', secretAccessKey: 'a-secret-only-the-worker-holds' };
  const presigner = new S3Client({
    region: 'eu-west-1',
    endpoint: 'http://127.0.0.1:4569',
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  const asSent = (url: string, method = 'GET', headers: Record<string, string> = {}): PresignedRequest => {
    const u = new URL(url);
    return { method, url: u.pathname + u.search, headers: { host: u.host, ...headers } };
  };
  const key = 'tenants/acme/snapshots/000007.body x+y.tar';

  it('accepts what the grant signs: a listing, a GET and a create-only PUT, with the headers signed', async () => {
    const list = await getSignedUrl(
      presigner,
      new ListObjectsV2Command({ Bucket: 'snaps', Prefix: 'tenants/acme/snapshots/' }),
      { expiresIn: 600 },
    );
    const get = await getSignedUrl(presigner, new GetObjectCommand({ Bucket: 'snaps', Key: key }), {
      expiresIn: 600,
    });
    const put = await getSignedUrl(
      presigner,
      new PutObjectCommand({ Bucket: 'snaps', Key: key, IfNoneMatch: '*' }),
      { expiresIn: 600, signableHeaders: new Set(['if-none-match']) },
    );
    assert.equal(presignedRefusal(asSent(list), credentials), null);
    assert.equal(presignedRefusal(asSent(get), credentials), null);
    assert.equal(presignedRefusal(asSent(put, 'PUT', { 'if-none-match': '*' }), credentials), null);
    // The create-only header is part of the signature: an overwriting PUT does not pass.
    assert.equal(presignedRefusal(asSent(put, 'PUT'), credentials), 'signature does not match');
  });

  it('refuses unsigned, altered, foreign, expired and never-granted requests', async () => {
    const get = await getSignedUrl(presigner, new GetObjectCommand({ Bucket: 'snaps', Key: key }), {
      expiresIn: 60,
    });
    const refused = (request: PresignedRequest, now?: number) => presignedRefusal(request, credentials, now);
    assert.match(
      refused(asSent('http://127.0.0.1:4569/snaps/?list-type=2&prefix=tenants%2F'))!,
      /not a SigV4/,
    );
    assert.match(refused(asSent('http://127.0.0.1:4569/snaps/'))!, /no query/);
    assert.equal(refused(asSent(get.replace('/acme/', '/other/'))), 'signature does not match');
    assert.equal(refused(asSent(get, 'HEAD')), 'signature does not match');
    assert.match(refused(asSent(get, 'DELETE'))!, /never granted/);
    assert.equal(refused(asSent(get), Date.now() + 61_000), 'presigned URL expired');
    assert.equal(refused(asSent(get, 'GET', { host: 'elsewhere:9000' })), 'signature does not match');
    const other = { accessKeyId: 'SOMEONEELSE', secretAccessKey: credentials.secretAccessKey };
    assert.equal(presignedRefusal(asSent(get), other), 'signed with other credentials');
    const wrongSecret = { ...credentials, secretAccessKey: 'guessed' };
    assert.equal(presignedRefusal(asSent(get), wrongSecret), 'signature does not match');
  });
});
