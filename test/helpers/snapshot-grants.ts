/**
 * The worker's side of snapshot grants for tests that run a supervisor: a
 * full-access store over s3rver with a dev master key, and grants issued from
 * it exactly as the worker issues them (snapshots/grant-issuer.ts).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { FileMasterKey } from '../../common/crypto.js';
import { SnapshotGrantIssuer } from '../../snapshots/grant-issuer.js';
import { S3SnapshotStore } from '../../snapshots/s3-snapshot-store.js';
import type { TestS3 } from './s3.js';

export interface TestGrants {
  /** The worker's full-access store (reads what supervisors saved). */
  readonly store: S3SnapshotStore;
  /** A serialized grant for the tenant, the `snapshotGrant` secret of its supervisor. */
  issue(tenantId: string, latestSeq?: number): Promise<string>;
  close(): void;
}

export async function testGrants(s3: TestS3, masterKeyFile: string): Promise<TestGrants> {
  const presigner = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  const store = new S3SnapshotStore({
    s3: s3.client,
    bucket: s3.bucket,
    masterKey: await FileMasterKey.open(masterKeyFile, { create: true }),
  });
  const issuer = new SnapshotGrantIssuer({ presigner, bucket: s3.bucket, store });
  return {
    store,
    issue: async (tenantId, latestSeq) =>
      JSON.stringify(await issuer.issue(tenantId, { latestSeq: latestSeq ?? null })),
    close: () => presigner.destroy(),
  };
}
