/**
 * Admin bearer tokens, stored hashed in the `#platform` partition of
 * `<prefix>secrets` (item `admin-token#<tokenId>`), so no extra table is
 * needed and the tenant partitions stay untouched.
 *
 * A token is `cfa-<tokenId>.<secret>`: the id finds the item with one read,
 * the whole token is compared as SHA-256 with `timingSafeEqual`. A 256-bit
 * random token needs no slow hash or pepper (nobody can guess it, and the
 * admin API must not hand out a CPU-burning check); the stored hash alone
 * cannot be turned back into a token.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { isValidTenantId } from '../common/ids.js';
import { PLATFORM_PARTITION } from '../registry/wrapped-keys.js';
import { AdminError } from './errors.js';

/** `platform` (all tenants, fleet operations) or `tenant:<id>` (that tenant only). */
export type TokenScope = 'platform' | `tenant:${string}`;

export interface AdminTokenInfo {
  readonly tokenId: string;
  readonly scope: TokenScope;
  readonly name: string;
  readonly createdAt: string;
}

const ITEM_PREFIX = 'admin-token#';
const TOKEN = /^cfa-([a-z0-9]{12})\.[A-Za-z0-9_-]{43}$/;

export function isTokenScope(value: string): value is TokenScope {
  return value === 'platform' || (value.startsWith('tenant:') && isValidTenantId(value.slice(7)));
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export class AdminTokenStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    /** The `<prefix>secrets` table. */
    private readonly table: string,
  ) {}

  /** A new token; the value is returned once and only its hash is stored. */
  async create(scope: TokenScope, name: string): Promise<{ info: AdminTokenInfo; token: string }> {
    if (!isTokenScope(scope))
      throw new AdminError(400, 'TOKEN_SCOPE_INVALID', `invalid scope ${String(scope)}`);
    const tokenId = randomBytes(6).toString('hex');
    const token = `cfa-${tokenId}.${randomBytes(32).toString('base64url')}`;
    const info: AdminTokenInfo = { tokenId, scope, name, createdAt: new Date().toISOString() };
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          tenantId: PLATFORM_PARTITION,
          item: `${ITEM_PREFIX}${tokenId}`,
          hash: sha256(token).toString('base64url'),
          ...info,
        },
        ConditionExpression: 'attribute_not_exists(tenantId)',
      }),
    );
    return { info, token };
  }

  /** The token's identity, or null when it is malformed, unknown, revoked or wrong. */
  async verify(presented: string): Promise<AdminTokenInfo | null> {
    const tokenId = TOKEN.exec(presented)?.[1];
    if (!tokenId) return null;
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { tenantId: PLATFORM_PARTITION, item: `${ITEM_PREFIX}${tokenId}` },
        ConsistentRead: true,
      }),
    );
    if (!Item || typeof Item['hash'] !== 'string') return null;
    const expected = Buffer.from(Item['hash'], 'base64url');
    const actual = sha256(presented);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
    return toInfo(Item);
  }

  async list(): Promise<AdminTokenInfo[]> {
    const result: AdminTokenInfo[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'tenantId = :p AND begins_with(#item, :prefix)',
          ExpressionAttributeNames: { '#item': 'item' },
          ExpressionAttributeValues: { ':p': PLATFORM_PARTITION, ':prefix': ITEM_PREFIX },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) result.push(toInfo(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return result.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** A missing token is success. */
  async revoke(tokenId: string): Promise<void> {
    if (!/^[a-z0-9]{12}$/.test(tokenId)) throw new AdminError(400, 'TOKEN_ID_INVALID', 'invalid token id');
    await this.doc.send(
      new DeleteCommand({
        TableName: this.table,
        Key: { tenantId: PLATFORM_PARTITION, item: `${ITEM_PREFIX}${tokenId}` },
      }),
    );
  }
}

function toInfo(item: Record<string, unknown>): AdminTokenInfo {
  const scope = String(item['scope']);
  return {
    tokenId: String(item['tokenId']),
    // An item with a scope we do not understand grants nothing: '#' never appears in a tenant id.
    scope: isTokenScope(scope) ? scope : 'tenant:#unknown-scope',
    name: typeof item['name'] === 'string' ? item['name'] : '',
    createdAt: typeof item['createdAt'] === 'string' ? item['createdAt'] : '',
  };
}
