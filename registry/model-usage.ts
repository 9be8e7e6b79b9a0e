/**
 * Model usage in the usage table, next to the active intervals (usage.ts):
 * one item per model request, sort key `<YYYY-MM-DD>#model#<requestId>`.
 * Written by the model gateway only. A retried request (same request id) or
 * a re-sent write is a Put of the same key, so it replaces and never adds.
 * Items carry `tokens` too, so the daily totals of usage.ts include them.
 */
import {
  BatchWriteCommand,
  PutCommand,
  ScanCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { assertTenantId } from '../common/ids.js';
import { RegistryInputError } from './errors.js';

export interface ModelUsageRecord {
  /** Idempotency key: the client's `X-Request-Id`, else the upstream's completion id. */
  readonly requestId: string;
  /** When the request started (its UTC day is the billing day). */
  readonly at: string;
  /** `upstream/model`. */
  readonly model: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Input tokens served from the provider's prompt cache (part of `inputTokens`). */
  readonly cachedTokens: number;
  /** Micro-USD from the price table. */
  readonly costMicros: number;
  /** The provider returned no usage: the gateway counted characters instead. */
  readonly estimated: boolean;
  /** Whose key paid: the platform's or the tenant's own (`byok`). */
  readonly keySource: 'platform' | 'byok';
}

/** Per model of one day (or a range). */
export interface ModelUsage {
  readonly model: string;
  readonly requests: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedTokens: number;
  readonly costMicros: number;
  /** Requests whose tokens were estimated. */
  readonly estimatedRequests: number;
}

export const MODEL_ITEM_MARK = '#model#';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function modelUsageItem(tenantId: string, usage: ModelUsageRecord): Record<string, unknown> {
  assertTenantId(tenantId);
  const at = Date.parse(usage.at);
  const counts = [usage.inputTokens, usage.outputTokens, usage.cachedTokens, usage.costMicros];
  const problems = [
    ...(REQUEST_ID.test(usage.requestId) ? [] : ['requestId must be 1..128 of [A-Za-z0-9._:-]']),
    ...(Number.isNaN(at) ? ['at is not an ISO-8601 time'] : []),
    ...(counts.every((n) => Number.isSafeInteger(n) && n >= 0)
      ? []
      : ['counts must be non-negative integers']),
  ];
  if (problems.length > 0) throw new RegistryInputError(problems);
  const iso = new Date(at).toISOString();
  return {
    tenantId,
    day: `${iso.slice(0, 10)}${MODEL_ITEM_MARK}${usage.requestId}`,
    at: iso,
    model: usage.model,
    requests: 1,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cachedTokens: usage.cachedTokens,
    tokens: usage.inputTokens + usage.outputTokens,
    costMicros: usage.costMicros,
    estimated: usage.estimated,
    keySource: usage.keySource,
  };
}

export async function putModelUsage(
  doc: DynamoDBDocumentClient,
  table: string,
  tenantId: string,
  usage: ModelUsageRecord,
): Promise<void> {
  await doc.send(new PutCommand({ TableName: table, Item: modelUsageItem(tenantId, usage) }));
}

/** DynamoDB's limit of items per BatchWriteItem. */
export const MODEL_USAGE_BATCH = 25;

/**
 * Up to 25 requests' usage in one BatchWriteItem (each still a Put of its own
 * key, so idempotent); unprocessed items are sent again with a short backoff.
 * A request id twice in one batch is written once (DynamoDB refuses duplicates).
 */
export async function putModelUsageBatch(
  doc: DynamoDBDocumentClient,
  table: string,
  records: readonly { tenantId: string; usage: ModelUsageRecord }[],
): Promise<void> {
  const byKey = new Map<string, Record<string, unknown>>();
  for (const { tenantId, usage } of records) {
    const item = modelUsageItem(tenantId, usage);
    byKey.set(`${tenantId}\0${String(item['day'])}`, item);
  }
  const items = [...byKey.values()];
  for (let start = 0; start < items.length; start += MODEL_USAGE_BATCH) {
    let pending = items.slice(start, start + MODEL_USAGE_BATCH).map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** Math.min(attempt, 5)));
      if (attempt > 8) throw new Error(`${pending.length} usage items stayed unprocessed`);
      const result = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = (result.UnprocessedItems?.[table] ?? []) as typeof pending;
    }
  }
}

/** Folds one stored model item into per-model totals. */
export function addModelItem(totals: Map<string, ModelUsage>, item: Record<string, unknown>): void {
  const model = String(item['model']);
  const t = totals.get(model) ?? {
    model,
    requests: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedTokens: 0,
    costMicros: 0,
    estimatedRequests: 0,
  };
  totals.set(model, {
    model,
    requests: t.requests + Number(item['requests'] ?? 1),
    inputTokens: t.inputTokens + Number(item['inputTokens'] ?? 0),
    outputTokens: t.outputTokens + Number(item['outputTokens'] ?? 0),
    cachedTokens: t.cachedTokens + Number(item['cachedTokens'] ?? 0),
    costMicros: t.costMicros + Number(item['costMicros'] ?? 0),
    estimatedRequests: t.estimatedRequests + (item['estimated'] === true ? 1 : 0),
  });
}

export interface FleetUsageRow {
  readonly tenantId: string;
  readonly costMicros: number;
  readonly tokens: number;
  readonly requests: number;
}

/**
 * Every tenant's model cost for `fromDay`..`toDay`, most expensive first. A
 * scan of the usage table: fine for a billing run, not for a hot path.
 */
export async function fleetModelUsage(
  doc: DynamoDBDocumentClient,
  table: string,
  fromDay: string,
  toDay: string,
): Promise<FleetUsageRow[]> {
  const rows = new Map<string, { costMicros: number; tokens: number; requests: number }>();
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: '#day BETWEEN :from AND :to AND attribute_exists(model)',
        ExpressionAttributeNames: { '#day': 'day' },
        ExpressionAttributeValues: { ':from': fromDay, ':to': `${toDay}#~` },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const tenantId = String(item['tenantId']);
      const row = rows.get(tenantId) ?? { costMicros: 0, tokens: 0, requests: 0 };
      row.costMicros += Number(item['costMicros'] ?? 0);
      row.tokens += Number(item['tokens'] ?? 0);
      row.requests += Number(item['requests'] ?? 1);
      rows.set(tenantId, row);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return [...rows]
    .map(([tenantId, r]) => ({ tenantId, ...r }))
    .sort(
      (a, b) => b.costMicros - a.costMicros || b.tokens - a.tokens || a.tenantId.localeCompare(b.tenantId),
    );
}

/** Per-model totals over several days' `models` lists. */
export function totalByModel(days: readonly { models: readonly ModelUsage[] }[]): ModelUsage[] {
  const totals = new Map<string, ModelUsage>();
  for (const day of days)
    for (const m of day.models) {
      const t = totals.get(m.model);
      totals.set(
        m.model,
        t
          ? {
              model: m.model,
              requests: t.requests + m.requests,
              inputTokens: t.inputTokens + m.inputTokens,
              outputTokens: t.outputTokens + m.outputTokens,
              cachedTokens: t.cachedTokens + m.cachedTokens,
              costMicros: t.costMicros + m.costMicros,
              estimatedRequests: t.estimatedRequests + m.estimatedRequests,
            }
          : m,
      );
    }
  return [...totals.values()].sort((a, b) => b.costMicros - a.costMicros || a.model.localeCompare(b.model));
}
