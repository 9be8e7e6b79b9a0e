/**
 * The two things a snapshot store needs, as ports, so the same store code runs
 * with full access (the worker: the bucket and the master key) and with a
 * tenant's grant (its supervisor: presigned URLs and its own data keys only,
 * snapshots/grant.ts).
 */
import type { Readable } from 'node:stream';
import type { TenantDataKey } from './data-keys.js';
import * as s3 from './s3-objects.js';

export type { PutBody } from './s3-objects.js';

export interface SnapshotObjects {
  /** Every key under `prefix`, with sizes. */
  listKeys(prefix: string): Promise<{ key: string; size: number }[]>;
  /** The object's bytes, or undefined if it does not exist (manifests, key records). */
  getSmall(key: string): Promise<Buffer | undefined>;
  getStream(key: string): Promise<Readable | undefined>;
  /** Create-only PUT; false when the key already existed and nothing was written. */
  putIfAbsent(key: string, body: s3.PutBody, contentType: string): Promise<boolean>;
  deleteKeys(keys: readonly string[]): Promise<void>;
}

export interface DataKeySource {
  /** The key new snapshots are sealed with. */
  current(tenantId: string): Promise<TenantDataKey>;
  /** The key named by a manifest. */
  get(tenantId: string, keyId: string): Promise<Buffer>;
  /** Drop cached plaintext keys of the tenant. */
  forget(tenantId: string): void;
}

/** Full access to the bucket through the caller's own credentials. */
export function bucketObjects(bucket: s3.Bucket): SnapshotObjects {
  return {
    listKeys: (prefix) => s3.listKeys(bucket, prefix),
    getSmall: (key) => s3.getSmall(bucket, key),
    getStream: (key) => s3.getStream(bucket, key),
    putIfAbsent: (key, body, contentType) => s3.putIfAbsent(bucket, key, body, contentType),
    deleteKeys: (keys) => s3.deleteKeys(bucket, keys),
  };
}
