/**
 * The supervisor's access to its own tenant's snapshots: the snapshot store
 * over the tenant's grant (snapshots/grant.ts), which holds presigned URLs of
 * the tenant's keys and its own data keys. The supervisor has no S3
 * credentials and no master key; the worker refreshes the grant with every
 * snapshot and drain call (http-api.ts), so uploads never run out or expire
 * while the worker is around.
 */
import { type Logger } from '../common/logger.js';
import { GrantHolder } from '../snapshots/grant.js';
import { GrantedDataKeys, GrantedObjects } from '../snapshots/granted-access.js';
import { S3SnapshotStore } from '../snapshots/s3-snapshot-store.js';
import { type SupervisorConfig } from './supervisor-config.js';

export interface TenantSnapshots {
  readonly store: S3SnapshotStore;
  /** Replace the grant with a fresh one from the worker. */
  readonly refreshGrant: (raw: string) => void;
}

export function openTenantSnapshots(
  config: SupervisorConfig,
  options: { spoolDir: string; logger: Logger },
): TenantSnapshots {
  const holder = new GrantHolder(config.spec.tenantId, config.secrets.snapshotGrant!);
  return {
    store: new S3SnapshotStore({
      objects: new GrantedObjects(holder),
      keys: new GrantedDataKeys(holder),
      ...options,
    }),
    refreshGrant: (raw) => holder.replace(raw),
  };
}
