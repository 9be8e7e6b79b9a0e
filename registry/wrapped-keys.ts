/**
 * Data keys stored wrapped by the master key in `<prefix>secrets`, item
 * `datakey#<keyId>` of a partition (a tenant id, or `#platform` for the
 * credential-hash pepper, which no tenant id can collide with). A key is
 * created once with a conditional put: two first writers race, one key wins
 * and both use it. Unwrapped keys are cached by their wrapped bytes, so a key
 * deleted and re-created elsewhere is never confused with the cached one.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KeyContext, MasterKeyProvider } from '../common/crypto.js';
import { isConditionFailure } from './document-client.js';
import { SecretRecordError } from './errors.js';

export const PLATFORM_PARTITION = '#platform';
export const DATA_KEY_ITEM_PREFIX = 'datakey#';

export interface DataKey {
  readonly keyId: string;
  readonly key: Buffer;
}

export class WrappedKeyTable {
  private readonly cache = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly masterKey: MasterKeyProvider,
    /** Bound into the wrapping context, so a key of one purpose never unwraps as another. */
    private readonly purpose: string,
  ) {}

  /** The partition's key `keyId`, created on first use. */
  async current(partition: string, keyId: string): Promise<DataKey> {
    const existing = await this.get(partition, keyId);
    if (existing) return { keyId, key: existing };
    const context = this.context(partition, keyId);
    const { plaintext, wrapped } = await this.masterKey.generateDataKey(context);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            tenantId: partition,
            item: `${DATA_KEY_ITEM_PREFIX}${keyId}`,
            masterKeyId: wrapped.masterKeyId,
            wrappedKey: wrapped.ciphertext,
            createdAt: new Date().toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(tenantId)',
        }),
      );
      return { keyId, key: plaintext };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // A concurrent writer created the key first: use theirs, or our ciphertext would be unreadable.
      const theirs = await this.get(partition, keyId);
      if (!theirs) throw new SecretRecordError(partition, keyId, 'data key vanished while being created');
      return { keyId, key: theirs };
    }
  }

  /**
   * The unwrapped key, or null when it does not exist. A wrong master key
   * rejects with MasterKeyError, a tampered or moved key with DecryptionError.
   */
  async get(partition: string, keyId: string): Promise<Buffer | null> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { tenantId: partition, item: `${DATA_KEY_ITEM_PREFIX}${keyId}` },
        ConsistentRead: true,
      }),
    );
    if (!Item) return null;
    const masterKeyId: unknown = Item['masterKeyId'];
    const wrappedKey: unknown = Item['wrappedKey'];
    if (typeof masterKeyId !== 'string' || typeof wrappedKey !== 'string') {
      throw new SecretRecordError(partition, `${DATA_KEY_ITEM_PREFIX}${keyId}`, 'data key item is malformed');
    }
    const cacheKey = `${partition}\0${keyId}\0${wrappedKey}`;
    let key = this.cache.get(cacheKey);
    if (!key) {
      key = this.masterKey.unwrap({ masterKeyId, ciphertext: wrappedKey }, this.context(partition, keyId));
      this.cache.set(cacheKey, key);
      key.catch(() => this.cache.delete(cacheKey));
    }
    return key;
  }

  /** Drops cached plaintext keys of a partition (after deleting them). */
  forget(partition: string): void {
    for (const k of this.cache.keys()) if (k.startsWith(`${partition}\0`)) this.cache.delete(k);
  }

  private context(partition: string, keyId: string): KeyContext {
    // `tenantId` lets a KMS key policy scope Decrypt by kms:EncryptionContext:tenantId.
    return { purpose: this.purpose, tenantId: partition, keyId };
  }
}
