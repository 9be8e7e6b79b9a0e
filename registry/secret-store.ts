/**
 * Per-tenant secrets, envelope-encrypted in `<prefix>secrets`: item
 * `secret#<name>` holds AES-256-GCM ciphertext under the tenant's data key
 * (item `datakey#dk-0001`, wrapped by the master key). The sealed value is
 * bound to tenant, name and key id, so ciphertext copied to another tenant or
 * name does not decrypt. Workflows and pod specs carry secret *names*;
 * `resolve` is for activities and the supervisor only, and values are never
 * logged or put into errors.
 */
import { randomBytes } from 'node:crypto';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { SecretStore } from '../activities/ports.js';
import type { MasterKeyProvider } from '../common/crypto.js';
import { deriveTenantForwardKey } from '../common/forward-signature.js';
import { assertTenantId } from '../common/ids.js';
import { isConditionFailure } from './document-client.js';
import {
  InvalidSecretNameError,
  RegistryInputError,
  SecretNotFoundError,
  SecretRecordError,
} from './errors.js';
import { PlatformKey } from './platform-keys.js';
import { bindingOf, open, seal } from './secret-box.js';
import type { TableNames } from './tables.js';
import { WrappedKeyTable } from './wrapped-keys.js';

/** Well-known secret names; model provider keys are `model-<provider>` (e.g. `model-openai`). */
export const SECRET_NAMES = {
  telegramBotToken: 'telegram-bot-token',
  telegramWebhookSecret: 'telegram-webhook-secret',
  gatewayToken: 'gateway-token',
  hooksToken: 'hooks-token',
  supervisorToken: 'supervisor-token',
  /** The tenant's model gateway token (common/model-token.ts): the only model credential a tenant holds. */
  modelToken: 'model-token',
} as const;

/** Tokens clawfleet generates itself; rotation regenerates them, the next wake writes them into the config. */
export const DERIVED_SECRET_NAMES: readonly string[] = [
  SECRET_NAMES.gatewayToken,
  SECRET_NAMES.hooksToken,
  SECRET_NAMES.supervisorToken,
  SECRET_NAMES.modelToken,
];

const SECRET_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const SECRET_PREFIX = 'secret#';
const DATA_KEY_ID = 'dk-0001';
/** @default 8 KiB: tokens and API keys, not files. */
const MAX_SECRET_BYTES = 8 * 1024;

/** A fresh 256-bit token, base64url (43 characters). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

export interface DynamoSecretStoreOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tables: TableNames;
  readonly masterKey: MasterKeyProvider;
}

export class DynamoSecretStore implements SecretStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly keys: WrappedKeyTable;
  private readonly forwardRoot: PlatformKey;

  constructor(options: DynamoSecretStoreOptions) {
    this.doc = options.doc;
    this.table = options.tables.secrets;
    this.keys = new WrappedKeyTable(this.doc, this.table, options.masterKey, 'clawfleet-secret-data-key');
    this.forwardRoot = new PlatformKey(options, 'forwardRoot');
  }

  /** Stores (or replaces) a secret. */
  async put(tenantId: string, name: string, value: string): Promise<void> {
    await this.write(tenantId, name, value, false);
  }

  /** Stores a secret only if none exists under `name`; returns whether it wrote. */
  putIfAbsent(tenantId: string, name: string, value: string): Promise<boolean> {
    return this.write(tenantId, name, value, true);
  }

  /** Decrypts a secret. For activities and the supervisor only; never log or return the value. */
  async resolve(tenantId: string, name: string): Promise<string> {
    const value = await this.resolveIfPresent(tenantId, name);
    if (value === null) throw new SecretNotFoundError(tenantId, name);
    return value;
  }

  async resolveIfPresent(tenantId: string, name: string): Promise<string | null> {
    checkKey(tenantId, name);
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { tenantId, item: `${SECRET_PREFIX}${name}` },
        ConsistentRead: true,
      }),
    );
    if (!Item) return null;
    const keyId: unknown = Item['keyId'];
    const ciphertext: unknown = Item['ciphertext'];
    if (typeof keyId !== 'string' || typeof ciphertext !== 'string') {
      throw new SecretRecordError(tenantId, name, 'secret item is malformed');
    }
    const key = await this.keys.get(tenantId, keyId);
    if (!key) throw new SecretRecordError(tenantId, name, `data key ${keyId} is missing`);
    return open(key, ciphertext, bindingOf(tenantId, name, keyId)).toString('utf8');
  }

  /**
   * The tenant's forwarding key (base64url): derived from the platform's
   * forwarding root, never stored. The worker hands it to the tenant's
   * supervisor at launch; the router derives the same to sign forwards.
   */
  async forwardKey(tenantId: string): Promise<string> {
    assertTenantId(tenantId);
    const { key } = await this.forwardRoot.current();
    return deriveTenantForwardKey(key, tenantId).toString('base64url');
  }

  /** Secret names of the tenant (never values), sorted. */
  async list(tenantId: string): Promise<string[]> {
    assertTenantId(tenantId);
    const items = await this.itemKeys(tenantId, SECRET_PREFIX);
    return items.map((item) => item.slice(SECRET_PREFIX.length)).sort();
  }

  /** A missing secret is success. */
  async delete(tenantId: string, name: string): Promise<void> {
    checkKey(tenantId, name);
    await this.doc.send(
      new DeleteCommand({ TableName: this.table, Key: { tenantId, item: `${SECRET_PREFIX}${name}` } }),
    );
  }

  /**
   * Deletes every secret and then the data key (crypto-shredding anything a
   * backup still holds). A tenant without secrets is success; a retry after a
   * partial failure finishes the job.
   */
  async deleteAll(tenantId: string): Promise<void> {
    assertTenantId(tenantId);
    const items = await this.itemKeys(tenantId, '');
    // Secrets first, keys last: an interrupted run never leaves secrets without their key.
    const ordered = [...items].sort(
      (a, b) => Number(a.startsWith('datakey#')) - Number(b.startsWith('datakey#')),
    );
    for (const item of ordered) {
      await this.doc.send(new DeleteCommand({ TableName: this.table, Key: { tenantId, item } }));
    }
    this.keys.forget(tenantId);
  }

  /** Creates whichever derived tokens are missing (a retried provisioning keeps existing ones). */
  async ensureDerived(tenantId: string): Promise<string[]> {
    const created: string[] = [];
    for (const name of DERIVED_SECRET_NAMES) {
      if (await this.putIfAbsent(tenantId, name, generateToken())) created.push(name);
    }
    return created;
  }

  /**
   * Regenerates the gateway, hooks, supervisor and model tokens; returns their names.
   * A running agent keeps the tokens it started with: the supervisor writes
   * the OpenClaw config from the store at each start, so rotation takes
   * effect at the next wake (sleep the tenant to apply it now).
   */
  async rotateDerived(tenantId: string): Promise<string[]> {
    for (const name of DERIVED_SECRET_NAMES) await this.put(tenantId, name, generateToken());
    return [...DERIVED_SECRET_NAMES];
  }

  private async write(
    tenantId: string,
    name: string,
    value: string,
    onlyIfAbsent: boolean,
  ): Promise<boolean> {
    checkKey(tenantId, name);
    const plaintext = Buffer.from(typeof value === 'string' ? value : '', 'utf8');
    if (plaintext.length === 0 || plaintext.length > MAX_SECRET_BYTES) {
      throw new RegistryInputError([`secret ${name} must be 1..${MAX_SECRET_BYTES} bytes`]);
    }
    const { keyId, key } = await this.keys.current(tenantId, DATA_KEY_ID);
    const now = new Date().toISOString();
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            tenantId,
            item: `${SECRET_PREFIX}${name}`,
            keyId,
            ciphertext: seal(key, plaintext, bindingOf(tenantId, name, keyId)),
            updatedAt: now,
          },
          ConditionExpression: onlyIfAbsent ? 'attribute_not_exists(tenantId)' : undefined,
        }),
      );
      return true;
    } catch (error) {
      if (onlyIfAbsent && isConditionFailure(error)) return false;
      throw error;
    } finally {
      plaintext.fill(0);
    }
  }

  /** Sort keys of the tenant's items starting with `prefix`, all pages. */
  private async itemKeys(tenantId: string, prefix: string): Promise<string[]> {
    const items: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: prefix ? 'tenantId = :t AND begins_with(#item, :p)' : 'tenantId = :t',
          // `item` is a DynamoDB reserved word, hence the placeholder.
          ExpressionAttributeNames: { '#item': 'item' },
          ExpressionAttributeValues: prefix ? { ':t': tenantId, ':p': prefix } : { ':t': tenantId },
          ProjectionExpression: 'tenantId, #item',
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) items.push(String(item['item']));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}

function checkKey(tenantId: string, name: string): void {
  assertTenantId(tenantId);
  if (typeof name !== 'string' || !SECRET_NAME.test(name)) throw new InvalidSecretNameError(name);
}
