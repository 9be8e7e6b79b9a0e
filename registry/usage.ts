/**
 * Usage for billing, in `<prefix>usage`: one item per active interval, keyed
 * by tenant and `day` = `<YYYY-MM-DD>#<interval start, ISO>` (UTC day of the
 * start). A retried write of the same interval is a plain Put of the same key,
 * so it replaces and never adds; a growing interval may be re-reported with
 * larger numbers. Daily totals are summed on read with one range query.
 */
import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from './document-client.js';
import type { UsageRecord } from '../activities/ports.js';
import { assertTenantId } from '../common/ids.js';
import { RegistryInputError } from './errors.js';
import { addModelItem, type ModelUsage } from './model-usage.js';
import { QUOTA_ITEM_MARK } from './quota-hits.js';

/** One active interval; `wakes` and `tokens` are optional extras over the port's record. */
export interface UsageInterval extends UsageRecord {
  /** Wakes that started in this interval (1 for an interval that began with a wake). @default 0 */
  readonly wakes?: number;
  /** Model tokens consumed, when the supervisor reports them. @default 0 */
  readonly tokens?: number;
}

export interface DailyUsage {
  /** UTC day, `YYYY-MM-DD`. */
  readonly day: string;
  readonly activeMs: number;
  readonly activeSeconds: number;
  readonly wakes: number;
  readonly messages: number;
  readonly tokens: number;
  /** Model cost of the day in micro-USD (registry/model-usage.ts). */
  readonly costMicros: number;
  /** Model usage of the day by `upstream/model`. */
  readonly models: ModelUsage[];
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export async function putUsage(
  doc: DynamoDBDocumentClient,
  table: string,
  tenantId: string,
  usage: UsageInterval,
): Promise<void> {
  assertTenantId(tenantId);
  const from = isoTime(usage.from, 'from');
  const to = isoTime(usage.to, 'to');
  const problems = [
    ...(to < from ? ['to is before from'] : []),
    ...count('activeMs', usage.activeMs),
    ...count('messages', usage.messages),
    ...count('wakes', usage.wakes ?? 0),
    ...count('tokens', usage.tokens ?? 0),
  ];
  if (problems.length > 0) throw new RegistryInputError(problems);
  await doc.send(
    new PutCommand({
      TableName: table,
      Item: {
        tenantId,
        day: `${from.slice(0, 10)}#${from}`,
        from,
        to,
        activeMs: usage.activeMs,
        messages: usage.messages,
        wakes: usage.wakes ?? 0,
        tokens: usage.tokens ?? 0,
      },
    }),
  );
}

const DAY_MESSAGES = '#messages';

/**
 * The router's count of a day's messages (hot and cold path, router/message-counter.ts),
 * copied here by the worker's `recordUsage` activity. It only grows: an
 * older copy arriving late, or a count Redis lost, never lowers it. When it
 * exists it is the day's message count (the intervals' own counts see only
 * the messages the workflow delivered).
 */
export async function putDayMessages(
  doc: DynamoDBDocumentClient,
  table: string,
  tenantId: string,
  day: string,
  messages: number,
): Promise<void> {
  assertTenantId(tenantId);
  if (!DAY.test(day) || !Number.isSafeInteger(messages) || messages < 0)
    throw new RegistryInputError([`day ${day} / messages ${messages} are invalid`]);
  try {
    await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: { tenantId, day: `${day}${DAY_MESSAGES}` },
        UpdateExpression: 'SET dayMessages = :n',
        ConditionExpression: 'attribute_not_exists(dayMessages) OR dayMessages < :n',
        ExpressionAttributeValues: { ':n': messages },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/** Per-day totals for `fromDay`..`toDay` inclusive (UTC), days without usage omitted, oldest first. */
export async function sumUsage(
  doc: DynamoDBDocumentClient,
  table: string,
  tenantId: string,
  fromDay: string,
  toDay: string,
): Promise<DailyUsage[]> {
  assertTenantId(tenantId);
  if (!DAY.test(fromDay) || !DAY.test(toDay) || toDay < fromDay) {
    throw new RegistryInputError([`day range ${fromDay}..${toDay} must be YYYY-MM-DD, from <= to`]);
  }
  const days = new Map<
    string,
    {
      activeMs: number;
      wakes: number;
      messages: number;
      tokens: number;
      costMicros: number;
      models: Map<string, ModelUsage>;
    }
  >();
  const counted = new Map<string, number>();
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'tenantId = :t AND #day BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#day': 'day' },
        // '~' sorts after every character of an ISO time, so `toDay#~` closes the last day.
        ExpressionAttributeValues: { ':t': tenantId, ':from': fromDay, ':to': `${toDay}#~` },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const key = String(item['day']);
      if (key.includes(QUOTA_ITEM_MARK)) continue; // refusals, not usage (quota-hits.ts)
      const day = key.slice(0, 10);
      if (key.endsWith(DAY_MESSAGES)) {
        counted.set(day, Number(item['dayMessages'] ?? 0));
        continue;
      }
      const total = days.get(day) ?? {
        activeMs: 0,
        wakes: 0,
        messages: 0,
        tokens: 0,
        costMicros: 0,
        models: new Map<string, ModelUsage>(),
      };
      if (item['model'] !== undefined) {
        addModelItem(total.models, item);
        total.costMicros += Number(item['costMicros'] ?? 0);
      }
      total.activeMs += Number(item['activeMs'] ?? 0);
      total.wakes += Number(item['wakes'] ?? 0);
      total.messages += Number(item['messages'] ?? 0);
      total.tokens += Number(item['tokens'] ?? 0);
      days.set(day, total);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  for (const [day, messages] of counted) {
    const total = days.get(day);
    if (total) total.messages = messages;
    else days.set(day, { activeMs: 0, wakes: 0, messages, tokens: 0, costMicros: 0, models: new Map() });
  }
  return [...days]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, t]) => ({
      day,
      ...t,
      activeSeconds: Math.round(t.activeMs / 1000),
      models: [...t.models.values()].sort((a, b) => a.model.localeCompare(b.model)),
    }));
}

function isoTime(value: string, field: string): string {
  const time = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(time)) throw new RegistryInputError([`${field} is not an ISO-8601 time`]);
  // Normalised, so a retry that spells the same instant differently still hits the same key.
  return new Date(time).toISOString();
}

function count(field: string, value: number): string[] {
  return Number.isSafeInteger(value) && value >= 0 ? [] : [`${field} must be a non-negative integer`];
}
