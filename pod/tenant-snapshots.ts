/**
 * The supervisor's access to its own tenant's snapshots. (Being narrowed to a
 * per-tenant grant: see docs/snapshots.md.)
 */
import { S3Client } from '@aws-sdk/client-s3';
import { FileMasterKey } from '../common/crypto.js';
import { type Logger } from '../common/logger.js';
import { S3SnapshotStore } from '../snapshots/s3-snapshot-store.js';
import { type SupervisorConfig } from './supervisor-config.js';

function s3Client(config: SupervisorConfig): S3Client {
  const { snapshots } = config.spec;
  const { s3AccessKeyId, s3SecretAccessKey } = config.secrets;
  return new S3Client({
    region: snapshots.region,
    ...(snapshots.endpoint ? { endpoint: snapshots.endpoint, forcePathStyle: true } : {}),
    ...(s3AccessKeyId && s3SecretAccessKey
      ? { credentials: { accessKeyId: s3AccessKeyId, secretAccessKey: s3SecretAccessKey } }
      : {}),
  });
}

export async function openTenantSnapshots(
  config: SupervisorConfig,
  options: { spoolDir: string; logger: Logger },
): Promise<S3SnapshotStore> {
  return new S3SnapshotStore({
    s3: s3Client(config),
    bucket: config.spec.snapshots.bucket,
    masterKey: await FileMasterKey.open(config.spec.snapshots.masterKeyFile, { create: false }),
    ...options,
  });
}
