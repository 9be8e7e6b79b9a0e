/**
 * The worker's side of snapshot grants for tests that run a supervisor: a
 * full-access store over s3rver with a dev master key, and grants issued from
 * it exactly as the worker issues them (snapshots/grant-issuer.ts).
 */
import { createS3Presigner } from '../../common/aws-clients.js';
import { FileMasterKey } from '../../common/crypto.js';
import { SnapshotGrantIssuer, type GrantIssuerOptions } from '../../snapshots/grant-issuer.js';
import { S3SnapshotStore } from '../../snapshots/s3-snapshot-store.js';
import type { TestS3 } from './s3.js';

export interface TestGrants {
  readonly issuer: SnapshotGrantIssuer;
  /** The worker's full-access store (reads what supervisors saved). */
  readonly store: S3SnapshotStore;
  /** A serialized grant for the tenant, the `snapshotGrant` secret of its supervisor. */
  issue(tenantId: string, latestSeq?: number): Promise<string>;
  close(): void;
}

export async function testGrants(
  s3: TestS3,
  masterKeyFile: string,
  issuerOptions: Pick<GrantIssuerOptions, 'uploadSlots' | 'restoreDepth'> = {},
): Promise<TestGrants> {
  const presigner = createS3Presigner({
    aws: { region: 'us-east-1', credentials: 'embedded', s3Endpoint: s3.endpoint },
  });
  const store = new S3SnapshotStore({
    s3: s3.client,
    bucket: s3.bucket,
    masterKey: await FileMasterKey.open(masterKeyFile, { create: true }),
  });
  const issuer = new SnapshotGrantIssuer({ presigner, bucket: s3.bucket, store, ...issuerOptions });
  return {
    issuer,
    store,
    issue: async (tenantId, latestSeq) =>
      JSON.stringify(await issuer.issue(tenantId, { latestSeq: latestSeq ?? null })),
    close: () => presigner.destroy(),
  };
}
