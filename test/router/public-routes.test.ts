import { createServer, type AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Client, Connection } from '@temporalio/client';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { createDocumentClient } from '../../registry/document-client.js';
import { quotaHitsOn } from '../../registry/quota-hits.js';
import { RouterHarness, telegramUpdate, type TestTenant } from './router-harness.js';
import { StandInSupervisor } from './stand-in-supervisor.js';

const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

async function eventuallyTrue(probe: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('router public routes: every refusal and its status code (app.inject, real Redis, dynalite, Temporal)', function () {
  this.timeout(120_000);
  const h = new RouterHarness();
  let app: FastifyInstance;
  let a: TestTenant;
  let b: TestTenant;

  before(async () => {
    await h.start();
    ({ app } = await h.app());
    [a, b] = await Promise.all([h.tenant(), h.tenant()]);
  });
  after(() => h.stop());

  const tg = (tenant: string, body: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: `/tg/${tenant}`,
      headers: { 'content-type': 'application/json', ...headers },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('an unknown tenant is 404 and nothing is started', async () => {
    const res = await tg('nobody-here', telegramUpdate(1), { [SECRET_HEADER]: a.webhookSecret });
    assert.equal(res.statusCode, 404);
    assert.equal(await h.workflowExists('nobody-here'), false);
  });

  it('a wrong or missing secret is 401, and tenant A’s secret never opens tenant B', async () => {
    for (const headers of [{}, { [SECRET_HEADER]: 'wrong' }, { [SECRET_HEADER]: a.webhookSecret }] as Record<
      string,
      string
    >[]) {
      const res = await tg(b.tenantId, telegramUpdate(2), headers);
      assert.equal(res.statusCode, 401, JSON.stringify(headers).slice(0, 40));
    }
    assert.equal(await h.workflowExists(b.tenantId), false);
    // Right after the right secret was proven (and remembered), a near miss is still refused.
    const t = await h.tenant();
    assert.equal(
      (await tg(t.tenantId, telegramUpdate(2), { [SECRET_HEADER]: t.webhookSecret })).statusCode,
      200,
    );
    const nearMiss = t.webhookSecret.slice(0, -1) + (t.webhookSecret.endsWith('A') ? 'B' : 'A');
    assert.equal((await tg(t.tenantId, telegramUpdate(3), { [SECRET_HEADER]: nearMiss })).statusCode, 401);
  });

  it('path tricks like /tg/..%2Fb are rejected before any lookup', async () => {
    for (const path of [`..%2F${b.tenantId}`, `${a.tenantId}%2F..%2F${b.tenantId}`, 'A-B', '%00x']) {
      const res = await tg(path, telegramUpdate(3), { [SECRET_HEADER]: a.webhookSecret });
      assert.equal(res.statusCode, 404, path);
    }
  });

  it('a suspended or offboarding tenant is 403 (only after the secret is proven)', async () => {
    for (const status of ['suspended', 'offboarding'] as const) {
      const t = await h.tenant(status);
      assert.equal(
        (await tg(t.tenantId, telegramUpdate(4), { [SECRET_HEADER]: t.webhookSecret })).statusCode,
        403,
      );
      assert.equal((await tg(t.tenantId, telegramUpdate(4), { [SECRET_HEADER]: 'x' })).statusCode, 401);
      assert.equal(await h.workflowExists(t.tenantId), false);
    }
  });

  it('a body over 1 MB is 413', async () => {
    const big = JSON.stringify({ update_id: 5, message: { text: 'x'.repeat(1024 * 1024) } });
    const res = await tg(a.tenantId, big, { [SECRET_HEADER]: a.webhookSecret });
    assert.equal(res.statusCode, 413);
  });

  it('a body that is not JSON or not an update is 400', async () => {
    for (const body of [
      'not json',
      '[]',
      '{}',
      '{"update_id":"7"}',
      '{"update_id":-1}',
      '{"update_id":1.5}',
    ]) {
      const res = await tg(a.tenantId, body, { [SECRET_HEADER]: a.webhookSecret });
      assert.equal(res.statusCode, 400, body);
    }
    assert.equal(await h.workflowExists(a.tenantId), false);
  });

  it('over the tenant’s rate limit a Telegram update is 503 with Retry-After (never a 4xx Telegram could give up on), and other tenants are unaffected', async () => {
    const limited = await h.app({ rateLimit: 2 });
    const t = await h.tenant();
    await h.publishEndpoint(t.tenantId, 'http://127.0.0.1:9'); // refused: cold path; fine for counting
    const send = (tenant: TestTenant, id: number) =>
      limited.app.inject({
        method: 'POST',
        url: `/tg/${tenant.tenantId}`,
        headers: { 'content-type': 'application/json', [SECRET_HEADER]: tenant.webhookSecret },
        payload: JSON.stringify(telegramUpdate(id)),
      });
    assert.equal((await send(t, 10)).statusCode, 200);
    assert.equal((await send(t, 11)).statusCode, 200);
    const refused = await send(t, 12);
    assert.equal(refused.statusCode, 503);
    assert.equal(refused.json<{ code: string }>().code, 'BUSY');
    assert.match(String(refused.headers['retry-after']), /^\d+$/);
    assert.equal((await send(b, 13)).statusCode, 200);
    // A chat client over the same budget gets the 429 it knows how to wait out; its first two calls only count.
    const chat = () =>
      limited.app.inject({
        method: 'POST',
        url: `/v1/tenants/${t.tenantId}/chat/completions`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${t.apiKey}` },
        payload: JSON.stringify({ model: 'openclaw/default', messages: [{ role: 'user', content: 'hi' }] }),
      });
    const statuses = (await Promise.all([chat(), chat(), chat()])).map((r) => r.statusCode);
    assert.equal(statuses.filter((s) => s === 429).length, 1, statuses.join(', '));
  });

  it('messages per day: counted once per update, 429 at the quota, and a re-sent counted update still goes through', async () => {
    const t = await h.tenant();
    const record = await h.registry.get(t.tenantId);
    await h.registry.update(t.tenantId, { quotas: { messagesPerDay: 2 } }, record!.version);
    const send = (id: number) => tg(t.tenantId, telegramUpdate(id), { [SECRET_HEADER]: t.webhookSecret });
    assert.equal((await send(20)).statusCode, 200);
    assert.equal((await send(20)).statusCode, 200, 'Telegram re-sending update 20');
    assert.equal((await send(21)).statusCode, 200);
    const refused = await send(22);
    assert.equal(refused.statusCode, 429);
    const problem = refused.json<{ code: string; error: { message: string } }>();
    assert.equal(problem.code, 'QUOTA_EXCEEDED');
    assert.match(problem.error.message, /messages per day \(2\)/);
    assert.equal(
      (await send(21)).statusCode,
      200,
      'an update counted before the limit is not refused on a re-send',
    );
    const day = new Date().toISOString().slice(0, 10);
    const counted = await h.redis.client().get(`clawfleet:msgs:${t.tenantId}:${day}`);
    assert.equal(counted, '2', 'two messages, each once');
    await eventuallyTrue(
      async () => (await quotaHitsOn(h.dynamo.doc, h.dynamo.tables.usage, t.tenantId, day)).length === 1,
    );
  });

  it('Temporal unreachable: an update for a sleeping tenant is 503 with Retry-After (Telegram retries), no details', async () => {
    // No gRPC retries, so the failure shows at once (the SDK default retries for about 20 s).
    const dead = new Client({ connection: Connection.lazy({ address: '127.0.0.1:9', interceptors: [] }) });
    const { app: cut } = await h.app({}, dead);
    const t = await h.tenant();
    const res = await cut.inject({
      method: 'POST',
      url: `/tg/${t.tenantId}`,
      headers: { 'content-type': 'application/json', [SECRET_HEADER]: t.webhookSecret },
      payload: JSON.stringify(telegramUpdate(20)),
    });
    assert.equal(res.statusCode, 503);
    // A dependency outage lasts about a process restart: retry in a second, not five.
    assert.equal(res.headers['retry-after'], '1');
    const body = res.json<{ code: string; detail: string }>();
    assert.equal(body.code, 'COLD_PATH_UNAVAILABLE');
    assert.equal(body.detail, 'could not hand the update to Temporal');
  });

  it('registry unreachable and the tenant not cached: 503 REGISTRY_UNAVAILABLE with Retry-After 1 (a restart’s length), no details', async () => {
    const unreachable = new DynamoDBClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'DYNALITE', secretAccessKey: 'DYNALITE' },
      maxAttempts: 1,
    });
    try {
      const { app: cut } = await h.app({}, undefined, createDocumentClient(unreachable));
      const t = await h.tenant();
      const res = await cut.inject({
        method: 'POST',
        url: `/tg/${t.tenantId}`,
        headers: { 'content-type': 'application/json', [SECRET_HEADER]: t.webhookSecret },
        payload: JSON.stringify(telegramUpdate(21)),
      });
      assert.equal(res.statusCode, 503);
      assert.equal(res.headers['retry-after'], '1');
      const body = res.json<{ code: string; detail: string }>();
      assert.equal(body.code, 'REGISTRY_UNAVAILABLE');
      assert.equal(body.detail, 'tenant registry unavailable');
      assert.equal(await h.workflowExists(t.tenantId), false);
    } finally {
      unreachable.destroy();
    }
  });

  it('Temporal hanging (accepts TCP, never answers): 503 after the bounded cold-path wait, not the SDK retries', async () => {
    const blackHole = createServer(() => undefined); // takes connections and never says a word
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const { port } = blackHole.address() as AddressInfo;
    try {
      const hanging = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${port}` }) });
      const { app: cut } = await h.app({}, hanging);
      const t = await h.tenant();
      const started = Date.now();
      const res = await cut.inject({
        method: 'POST',
        url: `/tg/${t.tenantId}`,
        headers: { 'content-type': 'application/json', [SECRET_HEADER]: t.webhookSecret },
        payload: JSON.stringify(telegramUpdate(21)),
      });
      const waitedMs = Date.now() - started;
      assert.equal(res.statusCode, 503);
      assert.equal(res.json<{ code: string }>().code, 'COLD_PATH_UNAVAILABLE');
      assert.ok(waitedMs >= 4_000 && waitedMs < 9_000, `answered after ${waitedMs} ms`);
    } finally {
      blackHole.close();
    }
  });

  it('fuzz: malformed bodies and headers never cause a 5xx and never start a workflow', async () => {
    const fuzzTenant = await h.tenant();
    const header = fc.oneof(
      fc.constant(fuzzTenant.webhookSecret),
      fc.string({ maxLength: 80 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
    );
    const body = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.json().filter((j) => !/"update_id"\s*:\s*\d+[,}]/.test(j)),
      fc.constantFrom('', '{', 'null', '{"update_id":null}', '{"update_id":1e400}', '\u0000'),
    );
    const contentType = fc.constantFrom(
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      '',
    );
    await fc.assert(
      fc.asyncProperty(header, body, contentType, async (secret, payload, type) => {
        const res = await app.inject({
          method: 'POST',
          url: `/tg/${fuzzTenant.tenantId}`,
          headers: { [SECRET_HEADER]: secret, ...(type && { 'content-type': type }) },
          payload,
        });
        assert.ok(res.statusCode < 500, `${res.statusCode} for ${JSON.stringify(payload)}`);
      }),
      { numRuns: 150 },
    );
    assert.equal(await h.workflowExists(fuzzTenant.tenantId), false);
  });

  describe('chat API', () => {
    const chat = (tenant: string, key: string | undefined, body: unknown) =>
      app.inject({
        method: 'POST',
        url: `/v1/tenants/${tenant}/chat/completions`,
        headers: { 'content-type': 'application/json', ...(key && { authorization: `Bearer ${key}` }) },
        payload: JSON.stringify(body),
      });
    const ask = { model: 'openclaw/default', messages: [{ role: 'user', content: 'hi' }], stream: true };

    it('unknown tenant 404, wrong or foreign API key 401, bad body 400', async () => {
      const c = await h.tenant();
      assert.equal((await chat('nobody-here', a.apiKey, ask)).statusCode, 404);
      assert.equal((await chat(c.tenantId, undefined, ask)).statusCode, 401);
      assert.equal((await chat(c.tenantId, a.apiKey, ask)).statusCode, 401);
      assert.equal((await chat(c.tenantId, a.apiKey.replace(/.$/, 'A'), ask)).statusCode, 401);
      assert.equal((await chat(a.tenantId, a.apiKey, { messages: [] })).statusCode, 400);
      assert.equal(await h.workflowExists(c.tenantId), false);
    });

    it('a suspended tenant is 403', async () => {
      const t = await h.tenant('suspended');
      assert.equal((await chat(t.tenantId, t.apiKey, ask)).statusCode, 403);
    });

    it('hot path: streams the supervisor’s SSE answer through, signed for the pod with its session key and the client’s Idempotency-Key', async () => {
      const t = await h.tenant();
      const supervisor = await new StandInSupervisor(t).start();
      try {
        await h.publishEndpoint(t.tenantId, supervisor.endpoint);
        const res = await app.inject({
          method: 'POST',
          url: `/v1/tenants/${t.tenantId}/chat/completions`,
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${t.apiKey}`,
            'x-openclaw-session-key': 'agent:main:support',
            'idempotency-key': 'client-retry-0001',
          },
          payload: JSON.stringify(ask),
        });
        assert.equal(res.statusCode, 200);
        assert.match(String(res.headers['content-type']), /text\/event-stream/);
        assert.match(res.body, /"Hel"[\s\S]*"lo"[\s\S]*\[DONE\]/);
        assert.deepEqual(JSON.parse(supervisor.chats[0]!), ask);
        assert.deepEqual(supervisor.idempotencyKeys, ['client-retry-0001'], 'passed on for the chat journal');
      } finally {
        await supervisor.stop();
      }
    });

    it('an agent that stops answering mid-request is 502, and the turn is not sent again', async () => {
      const t = await h.tenant();
      const supervisor = await new StandInSupervisor(t).start();
      supervisor.mode = 'hang'; // takes the request, never answers: the chat timeout (2 s here) fires
      try {
        await h.publishEndpoint(t.tenantId, supervisor.endpoint);
        const res = await chat(t.tenantId, t.apiKey, ask);
        assert.equal(res.statusCode, 502);
        assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
        const body = res.json<Record<string, unknown>>();
        assert.equal(body['code'], 'UPSTREAM_FAILED');
        assert.equal(body['detail'], 'the agent did not answer');
        assert.deepEqual(body['error'], {
          message: 'the agent did not answer',
          type: 'UPSTREAM_FAILED',
          code: 'UPSTREAM_FAILED',
        });
        assert.deepEqual(
          supervisor.received,
          ['/v1/chat/completions'],
          'reached the agent once, never again',
        );
        assert.equal(await h.workflowExists(t.tenantId), false, 'no wake either');
      } finally {
        await supervisor.stop();
      }
    });

    it('cold path: no worker answers the wake within the bound → 503 with Retry-After', async () => {
      const t = await h.tenant();
      const res = await chat(t.tenantId, t.apiKey, ask);
      assert.equal(res.statusCode, 503);
      assert.match(String(res.headers['retry-after']), /^\d+$/);
      assert.equal(await h.workflowExists(t.tenantId), true, 'the wake was sent (update-with-start)');
    });
  });

  it('/healthz answers 200', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  });

  describe('metrics (after the routes above ran)', () => {
    it('/metrics counts requests by route and outcome, hot/cold paths, and never names a tenant', async () => {
      const res = await app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(res.statusCode, 200);
      assert.match(res.body, /clawfleet_router_requests_total\{route="telegram",outcome="401"\} \d+/);
      assert.match(res.body, /clawfleet_router_requests_total\{route="chat",outcome="200"\} 1/);
      assert.match(res.body, /clawfleet_router_deliveries_total\{route="chat",path="hot"\} 1/);
      assert.match(res.body, /clawfleet_router_forward_seconds_bucket/);
      for (const tenant of [a, b]) assert.ok(!res.body.includes(tenant.tenantId));
    });
  });
});
