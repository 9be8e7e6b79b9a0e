/**
 * Per-tenant data keys, stored wrapped next to the snapshots they protect:
 * `tenants/<id>/keys/<keyId>.json`, created once with a create-only PUT and
 * never rewritten. Key ids are `dk-0001`, `dk-0002`, ... so rotation adds a
 * record and old snapshots (whose manifest names their key id) stay readable;
 * `deleteAll` of the tenant prefix shreds the keys with the data.
 */
import {
  type KeyContext,
  type MasterKeyProvider,
  DecryptionError,
  MasterKeyError,
} from '../common/crypto.js';
import { DataKeyError } from './errors.js';
import type { DataKeySource } from './object-access.js';
import { tenantPrefix } from './manifest.js';
import { type Bucket, getSmall, listKeys, putIfAbsent } from './s3-objects.js';

const KEY_ID = /^dk-(\d{4,})$/;

/** The stored record; `wrappedKey` is the provider's ciphertext, bound to `{purpose, tenantId, keyId}`. */
interface DataKeyRecord {
  readonly format: 'clawfleet-data-key/1';
  readonly tenantId: string;
  readonly keyId: string;
  readonly masterKeyId: string;
  readonly wrappedKey: string;
  readonly createdAt: string;
}

export interface TenantDataKey {
  readonly keyId: string;
  readonly key: Buffer;
}

export class DataKeyStore implements DataKeySource {
  /** Unwrapped keys, so a KMS is asked once per tenant and key per process. */
  private readonly cache = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly bucket: Bucket,
    private readonly masterKey: MasterKeyProvider,
  ) {}

  /** The tenant's newest data key, created on first use. */
  async current(tenantId: string): Promise<TenantDataKey> {
    const newest = (await this.keyIds(tenantId)).at(-1);
    if (newest) return { keyId: newest, key: await this.get(tenantId, newest) };
    return this.create(tenantId, 'dk-0001');
  }

  /** Add a new data key; later snapshots use it, older ones keep theirs. */
  async rotate(tenantId: string): Promise<TenantDataKey> {
    const newest = (await this.keyIds(tenantId)).at(-1);
    const next = newest ? Number(KEY_ID.exec(newest)?.[1]) + 1 : 1;
    return this.create(tenantId, `dk-${String(next).padStart(4, '0')}`);
  }

  /** The data key `keyId` of the tenant, unwrapped. */
  get(tenantId: string, keyId: string): Promise<Buffer> {
    const cacheKey = `${tenantId}/${keyId}`;
    let key = this.cache.get(cacheKey);
    if (!key) {
      key = this.load(tenantId, keyId);
      this.cache.set(cacheKey, key);
      key.catch(() => this.cache.delete(cacheKey));
    }
    return key;
  }

  /** Every key of the tenant, unwrapped, and which one is current (creating the first if needed). */
  async all(tenantId: string): Promise<{ current: string; keys: Record<string, Buffer> }> {
    const current = await this.current(tenantId);
    const keys: Record<string, Buffer> = { [current.keyId]: current.key };
    for (const keyId of await this.keyIds(tenantId)) keys[keyId] ??= await this.get(tenantId, keyId);
    return { current: current.keyId, keys };
  }

  /** Forget cached plaintext keys (after deleteAll, or to bound their lifetime). */
  forget(tenantId: string): void {
    for (const k of this.cache.keys()) if (k.startsWith(`${tenantId}/`)) this.cache.delete(k);
  }

  private async keyIds(tenantId: string): Promise<string[]> {
    const prefix = `${tenantPrefix(tenantId)}keys/`;
    return (await listKeys(this.bucket, prefix))
      .map(({ key }) => key.slice(prefix.length).replace(/\.json$/, ''))
      .filter((id) => KEY_ID.test(id))
      .sort((a, b) => Number(KEY_ID.exec(a)?.[1]) - Number(KEY_ID.exec(b)?.[1]));
  }

  private async create(tenantId: string, keyId: string): Promise<TenantDataKey> {
    const { plaintext, wrapped } = await this.masterKey.generateDataKey(context(tenantId, keyId));
    const record: DataKeyRecord = {
      format: 'clawfleet-data-key/1',
      tenantId,
      keyId,
      masterKeyId: wrapped.masterKeyId,
      wrappedKey: wrapped.ciphertext,
      createdAt: new Date().toISOString(),
    };
    const body = Buffer.from(`${JSON.stringify(record, null, 2)}\n`);
    if (await putIfAbsent(this.bucket, recordKey(tenantId, keyId), body, 'application/json')) {
      return { keyId, key: plaintext };
    }
    // Another writer created this key first: use theirs, or every snapshot of ours would be unreadable.
    return { keyId, key: await this.get(tenantId, keyId) };
  }

  private async load(tenantId: string, keyId: string): Promise<Buffer> {
    const raw = await getSmall(this.bucket, recordKey(tenantId, keyId));
    if (!raw) throw new DataKeyError(tenantId, keyId, 'key record is missing');
    let record: DataKeyRecord;
    try {
      record = JSON.parse(raw.toString('utf8')) as DataKeyRecord;
    } catch (err) {
      throw new DataKeyError(tenantId, keyId, 'key record is not JSON', { cause: err });
    }
    if (record.format !== 'clawfleet-data-key/1' || record.tenantId !== tenantId || record.keyId !== keyId) {
      throw new DataKeyError(tenantId, keyId, 'key record is malformed or belongs to another tenant');
    }
    try {
      return await this.masterKey.unwrap(
        { masterKeyId: record.masterKeyId, ciphertext: record.wrappedKey },
        context(tenantId, keyId),
      );
    } catch (err) {
      // A wrong master key is configuration, not one bad snapshot: let it through unchanged.
      if (err instanceof MasterKeyError) throw err;
      if (err instanceof DecryptionError)
        throw new DataKeyError(tenantId, keyId, 'wrapped key does not authenticate', { cause: err });
      throw err;
    }
  }
}

function recordKey(tenantId: string, keyId: string): string {
  return `${tenantPrefix(tenantId)}keys/${keyId}.json`;
}

function context(tenantId: string, keyId: string): KeyContext {
  return { purpose: 'clawfleet-snapshot-data-key', tenantId, keyId };
}
