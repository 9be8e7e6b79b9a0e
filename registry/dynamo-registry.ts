/**
 * The tenant registry on DynamoDB: implements the activities' `Registry` port
 * and the richer operations the admin API needs. Every write that can race
 * carries a condition:
 *
 * - create: `attribute_not_exists` → one of two concurrent creates wins, the other gets TenantExistsError;
 * - update / setStatus: `version = :expected` → VersionConflictError (optimistic lock);
 * - touchLastActive / advanceSnapshotPointer: only forward; a stale write is a silent no-op.
 */
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { Registry } from '../activities/ports.js';
import { assertTenantId } from '../common/ids.js';
import { isConditionFailure } from './document-client.js';
import {
  RegistryInputError,
  TenantExistsError,
  TenantNotFoundError,
  VersionConflictError,
} from './errors.js';
import { TENANTS_BY_STATUS_INDEX, type TableNames } from './tables.js';
import { decodeCursor, encodeCursor, fromItem, toItem } from './tenant-items.js';
import {
  NewTenantSchema,
  TENANT_STATUSES,
  TenantPatchSchema,
  newTenantRecord,
  schemaProblems,
  type NewTenant,
  type TenantPatch,
  type TenantRecord,
  type TenantStatus,
} from './tenant-record.js';
import { UsageRegistry } from './usage-registry.js';

export interface DynamoRegistryOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tables: TableNames;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

export interface ListOptions {
  /** @default 100 (at most 1000) */
  readonly limit?: number;
  /** Opaque cursor from the previous page. */
  readonly cursor?: string | null;
  /** @default 'oldest-first' (idle sweeps want the longest-idle tenants first) */
  readonly order?: 'oldest-first' | 'newest-first';
}

export interface TenantPage {
  readonly items: TenantRecord[];
  /** Pass back to get the next page; null at the end. */
  readonly cursor: string | null;
}

/** The tenants table here; the usage table's records and reads come from UsageRegistry (usage-registry.ts). */
export class DynamoRegistry extends UsageRegistry implements Registry {
  private readonly clock: () => Date;

  constructor(options: DynamoRegistryOptions) {
    super(options.doc, options.tables);
    this.clock = options.clock ?? (() => new Date());
  }

  async create(input: NewTenant): Promise<TenantRecord> {
    assertTenantId(input.tenantId);
    check(NewTenantSchema, input);
    const record = newTenantRecord(input, this.now());
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tables.tenants,
          Item: toItem(record),
          ConditionExpression: 'attribute_not_exists(tenantId)',
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new TenantExistsError(record.tenantId, { cause: error });
      throw error;
    }
    return record;
  }

  /** Strongly consistent read; null when the tenant does not exist. */
  async get(tenantId: string): Promise<TenantRecord | null> {
    assertTenantId(tenantId);
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tables.tenants, Key: { tenantId }, ConsistentRead: true }),
    );
    return Item ? fromItem(tenantId, Item) : null;
  }

  /** The `Registry` port's read. */
  getTenant(tenantId: string): Promise<TenantRecord | null> {
    return this.get(tenantId);
  }

  /** Applies `patch` if the record is still at `expectedVersion`; returns the new record. */
  async update(tenantId: string, patch: TenantPatch, expectedVersion: number): Promise<TenantRecord> {
    assertTenantId(tenantId);
    check(TenantPatchSchema, patch);
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 1) {
      throw new RegistryInputError(['expectedVersion must be a positive integer']);
    }
    const names: Record<string, string> = { '#version': 'version', '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = { ':expected': expectedVersion, ':one': 1, ':now': this.now() };
    const sets = ['#version = #version + :one', '#updatedAt = :now'];
    Object.entries(patch).forEach(([field, value], i) => {
      if (value === undefined) return;
      names[`#f${i}`] = field;
      values[`:f${i}`] = value;
      sets.push(`#f${i} = :f${i}`);
    });
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.tables.tenants,
          Key: { tenantId },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(tenantId) AND #version = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return fromItem(tenantId, Attributes ?? {});
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const current = await this.get(tenantId);
      if (!current) throw new TenantNotFoundError(tenantId, { cause: error });
      throw new VersionConflictError(tenantId, expectedVersion, current.version, { cause: error });
    }
  }

  /**
   * Changes the administrative status. With `expectedVersion` it is an
   * optimistic-lock update; without, it applies to whatever version is current.
   */
  async setStatus(tenantId: string, status: TenantStatus, expectedVersion?: number): Promise<TenantRecord> {
    if (expectedVersion !== undefined) return this.update(tenantId, { status }, expectedVersion);
    for (;;) {
      const current = await this.get(tenantId);
      if (!current) throw new TenantNotFoundError(tenantId);
      if (current.status === status) return current;
      try {
        return await this.update(tenantId, { status }, current.version);
      } catch (error) {
        // Someone else wrote in between: re-read and apply the status on top of their change.
        if (!(error instanceof VersionConflictError)) throw error;
      }
    }
  }

  /** Tenants in `status`, ordered by last activity, via the GSI (eventually consistent). */
  async listByStatus(status: TenantStatus, options: ListOptions = {}): Promise<TenantPage> {
    if (!TENANT_STATUSES.includes(status)) throw new RegistryInputError([`unknown status ${String(status)}`]);
    const limit = options.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
      throw new RegistryInputError(['limit must be an integer in 1..1000']);
    }
    const page = await this.doc.send(
      new QueryCommand({
        TableName: this.tables.tenants,
        IndexName: TENANTS_BY_STATUS_INDEX,
        KeyConditionExpression: '#status = :status',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status },
        ScanIndexForward: options.order !== 'newest-first',
        Limit: limit,
        ExclusiveStartKey: options.cursor ? decodeCursor(options.cursor, status) : undefined,
      }),
    );
    return {
      items: (page.Items ?? []).map((item) => fromItem(String(item['tenantId']), item)),
      cursor: page.LastEvaluatedKey ? encodeCursor(page.LastEvaluatedKey) : null,
    };
  }

  /** Moves `lastActiveAt` forward to `at`; an older time, or a missing tenant, is a silent no-op. */
  async touchLastActive(tenantId: string, at: Date = this.clock()): Promise<void> {
    assertTenantId(tenantId);
    await this.conditional({
      Key: { tenantId },
      UpdateExpression: 'SET lastActiveAt = :at',
      ConditionExpression: 'attribute_exists(tenantId) AND lastActiveAt < :at',
      ExpressionAttributeValues: { ':at': at.toISOString() },
    });
  }

  async advanceSnapshotPointer(tenantId: string, seq: number): Promise<void> {
    assertTenantId(tenantId);
    if (!Number.isSafeInteger(seq) || seq < 0)
      throw new RegistryInputError(['seq must be a non-negative integer']);
    const applied = await this.conditional({
      Key: { tenantId },
      UpdateExpression: 'SET latestSnapshotSeq = :seq',
      ConditionExpression:
        'attribute_exists(tenantId) AND (attribute_not_exists(latestSnapshotSeq) OR latestSnapshotSeq < :seq)',
      ExpressionAttributeValues: { ':seq': seq },
    });
    // Refused: either a newer (or the same) seq is already recorded, which is the
    // documented no-op, or the tenant is gone, which the caller must hear about.
    if (!applied && !(await this.get(tenantId))) throw new TenantNotFoundError(tenantId);
  }

  /** Removes the tenant record; a missing record is success. Usage stays for billing. */
  async deleteTenant(tenantId: string): Promise<void> {
    assertTenantId(tenantId);
    await this.doc.send(new DeleteCommand({ TableName: this.tables.tenants, Key: { tenantId } }));
  }

  async quotaOf(tenantId: string): Promise<Pick<TenantRecord, 'tier' | 'quotas'> | null> {
    const record = await this.get(tenantId);
    return record ? { tier: record.tier, quotas: record.quotas } : null;
  }

  private now(): string {
    return this.clock().toISOString();
  }

  /** An update whose refused condition is an expected outcome; returns whether it applied. */
  private async conditional(
    input: Pick<
      ConstructorParameters<typeof UpdateCommand>[0],
      'Key' | 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeValues'
    >,
  ): Promise<boolean> {
    try {
      await this.doc.send(new UpdateCommand({ TableName: this.tables.tenants, ...input }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

function check(schema: Parameters<typeof schemaProblems>[0], value: unknown): void {
  const problems = schemaProblems(schema, value);
  if (problems.length > 0) throw new RegistryInputError(problems);
}
