/**
 * The usage table's side of the registry (DynamoRegistry extends this): the
 * active intervals and message counts the activities record, the model
 * gateway's per-request token usage, and the reads billing and the quotas
 * make of them. Every write is idempotent per its event id.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  fleetModelUsage,
  putModelUsage,
  putModelUsageBatch,
  type FleetUsageRow,
  type ModelUsageRecord,
} from './model-usage.js';
import { quotaHitsOn, type QuotaHit } from './quota-hits.js';
import type { TableNames } from './tables.js';
import { putDayMessages, putUsage, sumUsage, type DailyUsage, type UsageInterval } from './usage.js';

export class UsageRegistry {
  constructor(
    protected readonly doc: DynamoDBDocumentClient,
    protected readonly tables: TableNames,
  ) {}

  /** Idempotent per (tenantId, from): a retried write replaces, never adds. */
  recordUsage(tenantId: string, usage: UsageInterval): Promise<void> {
    return putUsage(this.doc, this.tables.usage, tenantId, usage);
  }

  /** The router's message count of `day`, copied by the `recordUsage` activity (only grows). */
  recordDayMessages(tenantId: string, day: string, messages: number): Promise<void> {
    return putDayMessages(this.doc, this.tables.usage, tenantId, day, messages);
  }

  /** One model request's usage (the model gateway's record; idempotent per request id). */
  recordModelUsage(tenantId: string, usage: ModelUsageRecord): Promise<void> {
    return putModelUsage(this.doc, this.tables.usage, tenantId, usage);
  }

  /** Several requests' usage in batch writes (the gateway's way; each still idempotent per request id). */
  recordModelUsageBatch(records: readonly { tenantId: string; usage: ModelUsageRecord }[]): Promise<void> {
    return putModelUsageBatch(this.doc, this.tables.usage, records);
  }

  async activeMsOn(tenantId: string, day: string): Promise<number> {
    const [usage] = await sumUsage(this.doc, this.tables.usage, tenantId, day, day);
    return usage?.activeMs ?? 0;
  }

  /** Today's (or `day`'s) quota refusals, most recent first (registry/quota-hits.ts). */
  quotaHits(tenantId: string, day: string): Promise<QuotaHit[]> {
    return quotaHitsOn(this.doc, this.tables.usage, tenantId, day);
  }

  /** Tenants ranked by model cost over `fromDay`..`toDay` (a scan: for billing runs). */
  fleetUsage(fromDay: string, toDay: string): Promise<FleetUsageRow[]> {
    return fleetModelUsage(this.doc, this.tables.usage, fromDay, toDay);
  }

  /** Per-day totals for `fromDay`..`toDay` inclusive (`YYYY-MM-DD`, UTC). */
  usageBetween(tenantId: string, fromDay: string, toDay: string): Promise<DailyUsage[]> {
    return sumUsage(this.doc, this.tables.usage, tenantId, fromDay, toDay);
  }
}
