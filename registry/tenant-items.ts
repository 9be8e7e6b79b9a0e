/**
 * Mapping between tenant records and DynamoDB items, and the opaque cursor of
 * the by-status listing. Items read back are checked against the schema.
 */
import { RegistryInputError, RegistryRecordError } from './errors.js';
import { schemaProblems, TenantRecordSchema, type TenantRecord, type TenantStatus } from './tenant-record.js';

/** `latestSnapshotSeq: null` is stored as an absent attribute, so `<` conditions compare numbers only. */
export function toItem(record: TenantRecord): Record<string, unknown> {
  const { latestSnapshotSeq, ...rest } = record;
  return latestSnapshotSeq === null ? rest : record;
}

export function fromItem(tenantId: string, item: Record<string, unknown>): TenantRecord {
  const record: Record<string, unknown> = { ...item, latestSnapshotSeq: item['latestSnapshotSeq'] ?? null };
  const problems = schemaProblems(TenantRecordSchema, record);
  if (problems.length > 0 || record['tenantId'] !== tenantId) {
    throw new RegistryRecordError(
      tenantId,
      problems.length > 0 ? problems : ['tenantId does not match its key'],
    );
  }
  return record as unknown as TenantRecord;
}

export function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, status: TenantStatus): Record<string, string> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const k = key as Record<string, unknown> | undefined;
  const valid =
    typeof k === 'object' &&
    k !== null &&
    Object.keys(k).length === 3 &&
    k['status'] === status &&
    typeof k['tenantId'] === 'string' &&
    typeof k['lastActiveAt'] === 'string';
  if (!valid) throw new RegistryInputError(['cursor is malformed or belongs to another listing']);
  return k as Record<string, string>;
}
