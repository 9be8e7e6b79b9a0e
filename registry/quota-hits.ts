/**
 * Which quota stopped a tenant, in the usage table next to its usage: item
 * `<YYYY-MM-DD>#quota#<kind>` counts the day's refusals of that kind and
 * keeps the last one's time and limit. Written by whoever enforces the quota
 * (the model gateway, the router, the workflow's activity); read by the
 * admin API for `clawfleet tenant get`. Refusals are counted at most once
 * per writer per few seconds, so a flood of refused requests costs no flood
 * of writes: `hits` is a lower bound, `lastAt` is what an operator reads.
 */
import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { assertTenantId } from '../common/ids.js';
import type { QuotaKind } from '../common/quotas.js';

export const QUOTA_ITEM_MARK = '#quota#';

export interface QuotaHit {
  readonly kind: QuotaKind;
  readonly day: string;
  readonly lastAt: string;
  readonly limit: number;
  readonly hits: number;
}

export async function recordQuotaHit(
  doc: DynamoDBDocumentClient,
  table: string,
  tenantId: string,
  hit: { kind: QuotaKind; at: string; limit: number },
): Promise<void> {
  assertTenantId(tenantId);
  await doc.send(
    new UpdateCommand({
      TableName: table,
      Key: { tenantId, day: `${hit.at.slice(0, 10)}${QUOTA_ITEM_MARK}${hit.kind}` },
      UpdateExpression: 'SET kind = :kind, lastAt = :at, #limit = :limit ADD hits :one',
      ExpressionAttributeNames: { '#limit': 'limit' },
      ExpressionAttributeValues: { ':kind': hit.kind, ':at': hit.at, ':limit': hit.limit, ':one': 1 },
    }),
  );
}

/** The quota refusals of `day` (UTC), most recent first. */
export async function quotaHitsOn(
  doc: DynamoDBDocumentClient,
  table: string,
  tenantId: string,
  day: string,
): Promise<QuotaHit[]> {
  assertTenantId(tenantId);
  const page = await doc.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'tenantId = :t AND begins_with(#day, :p)',
      ExpressionAttributeNames: { '#day': 'day' },
      ExpressionAttributeValues: { ':t': tenantId, ':p': `${day}${QUOTA_ITEM_MARK}` },
    }),
  );
  return (page.Items ?? [])
    .map((item) => ({
      kind: item['kind'] as QuotaKind,
      day,
      lastAt: String(item['lastAt']),
      limit: Number(item['limit']),
      hits: Number(item['hits'] ?? 0),
    }))
    .sort((a, b) => b.lastAt.localeCompare(a.lastAt));
}

/** Lets one refusal per tenant and kind through every `intervalMs` (the rest are only counted in metrics). */
export class QuotaHitThrottle {
  private readonly last = new Map<string, number>();

  constructor(private readonly intervalMs = 5_000) {}

  shouldRecord(tenantId: string, kind: QuotaKind, nowMs: number): boolean {
    const key = `${tenantId}\0${kind}`;
    if (nowMs - (this.last.get(key) ?? -Infinity) < this.intervalMs) return false;
    if (this.last.size > 10_000) this.last.clear();
    this.last.set(key, nowMs);
    return true;
  }
}
