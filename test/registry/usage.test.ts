import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { DynamoRegistry } from '../../registry/dynamo-registry.js';
import { RegistryInputError } from '../../registry/errors.js';
import { fleetModelUsage, putModelUsage } from '../../registry/model-usage.js';
import { quotaHitsOn, recordQuotaHit } from '../../registry/quota-hits.js';
import { startDynamo, type TestDynamo } from '../helpers/dynamo.js';

describe('usage records for billing (dynalite)', () => {
  let dynamo: TestDynamo;
  let registry: DynamoRegistry;
  const id = () => `usage-${randomBytes(4).toString('hex')}`;
  const noModels = { costMicros: 0, models: [] };

  before(async () => {
    dynamo = await startDynamo();
    registry = new DynamoRegistry({ doc: dynamo.doc, tables: dynamo.tables });
  });
  after(() => dynamo?.close());

  it('sums intervals per UTC day and leaves out days outside the range', async () => {
    const tenantId = id();
    const interval = (from: string, to: string, activeMs: number, messages: number, tokens = 0) =>
      registry.recordUsage(tenantId, { from, to, activeMs, messages, wakes: 1, tokens });
    await interval('2030-03-01T23:59:00.000Z', '2030-03-02T00:10:00.000Z', 660_000, 3, 100);
    await interval('2030-03-02T08:00:00.000Z', '2030-03-02T08:15:00.000Z', 900_000, 5, 250);
    await interval('2030-03-02T20:00:00.000Z', '2030-03-02T20:00:30.400Z', 30_400, 1);
    await interval('2030-03-04T10:00:00.000Z', '2030-03-04T10:01:00.000Z', 60_000, 2);
    assert.deepEqual(await registry.usageBetween(tenantId, '2030-03-02', '2030-03-04'), [
      {
        day: '2030-03-02',
        activeMs: 930_400,
        activeSeconds: 930,
        wakes: 2,
        messages: 6,
        tokens: 250,
        ...noModels,
      },
      {
        day: '2030-03-04',
        activeMs: 60_000,
        activeSeconds: 60,
        wakes: 1,
        messages: 2,
        tokens: 0,
        ...noModels,
      },
    ]);
    assert.equal((await registry.usageBetween(tenantId, '2030-03-01', '2030-03-01'))[0]?.messages, 3);
    assert.deepEqual(await registry.usageBetween(tenantId, '2030-03-05', '2030-03-31'), []);
  });

  it('a retried (or concurrently repeated) write of the same interval replaces, never adds', async () => {
    const tenantId = id();
    const usage = {
      from: '2030-04-01T10:00:00Z',
      to: '2030-04-01T10:05:00Z',
      activeMs: 300_000,
      messages: 4,
    };
    await Promise.all([registry.recordUsage(tenantId, usage), registry.recordUsage(tenantId, usage)]);
    // The same instant spelled with milliseconds is the same interval.
    await registry.recordUsage(tenantId, { ...usage, from: '2030-04-01T10:00:00.000Z', messages: 6 });
    const [day] = await registry.usageBetween(tenantId, '2030-04-01', '2030-04-01');
    assert.equal(day?.messages, 6);
    assert.equal(day?.activeMs, 300_000);
    assert.equal(day?.wakes, 0);
  });

  it('model requests add up per day and model, once per request id; the router’s day count replaces the intervals’ messages', async () => {
    const tenantId = id();
    const request = (requestId: string, model: string, input: number, output: number, cached = 0) =>
      putModelUsage(dynamo.doc, dynamo.tables.usage, tenantId, {
        requestId,
        at: '2030-05-01T12:00:00Z',
        model,
        inputTokens: input,
        outputTokens: output,
        cachedTokens: cached,
        costMicros: input + output,
        estimated: false,
        keySource: 'platform',
      });
    await request('r1', 'openai/gpt-5-mini', 100, 20, 40);
    await request('r1', 'openai/gpt-5-mini', 100, 20, 40); // a retried write
    await request('r2', 'openai/gpt-5-mini', 50, 5);
    await request('r3', 'local/llama', 10, 1);
    await registry.recordUsage(tenantId, {
      from: '2030-05-01T11:00:00Z',
      to: '2030-05-01T12:30:00Z',
      activeMs: 5_400_000,
      messages: 2,
      wakes: 1,
    });
    await registry.recordDayMessages(tenantId, '2030-05-01', 7);
    await registry.recordDayMessages(tenantId, '2030-05-01', 5); // a late, older copy never lowers it
    await recordQuotaHit(dynamo.doc, dynamo.tables.usage, tenantId, {
      kind: 'tokensPerDay',
      at: '2030-05-01T12:40:00Z',
      limit: 100,
    });
    const [day] = await registry.usageBetween(tenantId, '2030-05-01', '2030-05-01');
    assert.equal(day?.tokens, 186);
    assert.equal(day?.costMicros, 186);
    assert.equal(day?.messages, 7, 'the router saw 7 (hot and cold), the workflow delivered 2 of them');
    assert.equal(day?.wakes, 1);
    assert.deepEqual(
      day?.models.map((m) => [m.model, m.requests, m.inputTokens, m.outputTokens, m.cachedTokens]),
      [
        ['local/llama', 1, 10, 1, 0],
        ['openai/gpt-5-mini', 2, 150, 25, 40],
      ],
    );
    const ranked = await fleetModelUsage(dynamo.doc, dynamo.tables.usage, '2030-05-01', '2030-05-01');
    assert.deepEqual(
      ranked.find((r) => r.tenantId === tenantId),
      { tenantId, costMicros: 186, tokens: 186, requests: 3 },
    );
    const [hit] = await quotaHitsOn(dynamo.doc, dynamo.tables.usage, tenantId, '2030-05-01');
    assert.equal(hit?.kind, 'tokensPerDay');
  });

  it('rejects malformed usage and day ranges', async () => {
    const tenantId = id();
    const ok = { from: '2030-04-01T10:00:00Z', to: '2030-04-01T10:05:00Z', activeMs: 1, messages: 1 };
    await assert.rejects(registry.recordUsage(tenantId, { ...ok, from: 'yesterday' }), RegistryInputError);
    await assert.rejects(
      registry.recordUsage(tenantId, { ...ok, to: '2030-04-01T09:00:00Z' }),
      RegistryInputError,
    );
    await assert.rejects(registry.recordUsage(tenantId, { ...ok, messages: -1 }), RegistryInputError);
    await assert.rejects(registry.usageBetween(tenantId, '2030-04-02', '2030-04-01'), RegistryInputError);
    await assert.rejects(registry.usageBetween(tenantId, '2030-4-1', '2030-04-01'), RegistryInputError);
  });
});
