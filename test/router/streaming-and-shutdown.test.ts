import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Agent } from 'undici';
import type { RouterServices } from '../../router/services.js';
import { eventually, RouterHarness, telegramUpdate, type TestTenant } from './router-harness.js';
import { StandInSupervisor } from './stand-in-supervisor.js';

describe('router forwards over real sockets: clients hanging up and graceful shutdown (real Redis, Temporal dev server, dynalite)', function () {
  this.timeout(120_000);
  const h = new RouterHarness();
  before(() => h.start());
  after(() => h.stop());

  async function listening(): Promise<{ app: FastifyInstance; services: RouterServices; url: string }> {
    const { app, services } = await h.app();
    await app.listen({ host: '127.0.0.1', port: 0 });
    return { app, services, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
  }

  const ask = { model: 'openclaw/default', stream: true, messages: [{ role: 'user', content: 'hi' }] };
  const chat = (url: string, t: TestTenant, init: RequestInit = {}) =>
    fetch(`${url}/v1/tenants/${t.tenantId}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.apiKey}` },
      body: JSON.stringify(ask),
      ...init,
    });

  it('a chat client that hangs up mid-stream cancels the forward: the supervisor sees its stream closed and no upstream request stays open', async () => {
    const t = await h.tenant();
    const supervisor = await new StandInSupervisor(t).start();
    supervisor.mode = 'endless-stream';
    try {
      await h.publishEndpoint(t.tenantId, supervisor.endpoint);
      const { services, url } = await listening();
      const hangUp = new AbortController();
      const res = await chat(url, t, { signal: hangUp.signal });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      const first = await reader.read();
      assert.match(
        Buffer.from(first.value ?? []).toString(),
        /^data: \{"n":0\}/,
        'the stream passes through as it comes',
      );
      assert.equal(supervisor.openStreams, 1);
      assert.equal(services.upstream.inFlight, 1);

      hangUp.abort();
      await eventually(() => supervisor.openStreams === 0, 'the supervisor’s stream closed', 5_000);
      assert.equal(supervisor.abandoned, 1, 'closed before it finished: the agent’s turn was cancelled');
      await eventually(() => services.upstream.inFlight === 0, 'no upstream request left in flight', 5_000);

      // The pool is still sound: the next chat of the same tenant streams and finishes normally.
      supervisor.mode = 'ok';
      const next = await chat(url, t);
      assert.match(await next.text(), /\[DONE\]/);
      assert.equal(services.upstream.inFlight, 0);
    } finally {
      await supervisor.stop();
    }
  });

  it('a chat client that hangs up while the agent has not answered yet cancels the forward at once', async () => {
    const t = await h.tenant();
    const supervisor = await new StandInSupervisor(t).start();
    const release = supervisor.holdAnswers();
    try {
      await h.publishEndpoint(t.tenantId, supervisor.endpoint);
      const { services, url } = await listening();
      const hangUp = new AbortController();
      const res = chat(url, t, { signal: hangUp.signal }).catch((error: unknown) => error);
      await eventually(() => supervisor.chats.length === 1, 'the forward reached the supervisor');
      hangUp.abort();
      assert.equal(((await res) as Error).name, 'AbortError');
      // Well before the forward timeout (2 s here): the router aborted, it did not just stop waiting.
      await eventually(() => supervisor.abandoned === 1, 'the supervisor saw the request closed', 1_000);
      await eventually(() => services.upstream.inFlight === 0, 'no upstream request left in flight', 1_000);
    } finally {
      release();
      await supervisor.stop();
    }
  });

  it('graceful shutdown: stops accepting, lets in-flight Telegram and chat forwards finish, then closes the pools', async () => {
    const t = await h.tenant();
    const supervisor = await new StandInSupervisor(t).start();
    const release = supervisor.holdAnswers();
    try {
      await h.publishEndpoint(t.tenantId, supervisor.endpoint);
      const { app, services, url } = await listening();
      const update = JSON.stringify(telegramUpdate(700));
      const telegram = fetch(`${url}/tg/${t.tenantId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': t.webhookSecret },
        body: update,
      });
      const streamed = chat(url, t);
      await eventually(
        () => supervisor.deliveries.length === 1 && supervisor.chats.length === 1,
        'both forwards reached the supervisor',
      );

      let closed = false;
      const closing = app.close().then(() => (closed = true));
      // A fresh connection is refused (or, on a kept-alive one, answered 503): nothing new is accepted.
      const fresh = new Agent();
      const probe = await fetch(`${url}/healthz`, { dispatcher: fresh } as RequestInit).then(
        (response) => response.status,
        () => 'refused' as const,
      );
      await fresh.close();
      assert.ok(probe === 'refused' || probe === 503, `a new request got ${probe}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(closed, false, 'close waits for the forwards in flight');
      assert.equal(services.upstream.inFlight, 2);

      release();
      const releasedAt = Date.now();
      const delivered = await telegram;
      assert.equal(delivered.status, 200);
      assert.deepEqual(await delivered.json(), { ok: true, delivery: 'durable' });
      const answer = await streamed;
      assert.equal(answer.status, 200);
      assert.match(await answer.text(), /"Hel"[\s\S]*"lo"[\s\S]*\[DONE\]/);
      await closing;
      // Not held up by the kept-alive client connections (Fastify's keep-alive timeout is 72 s).
      assert.ok(
        Date.now() - releasedAt < 5_000,
        `close took ${Date.now() - releasedAt} ms after the forwards`,
      );
      assert.equal(services.upstream.closed, true, 'the upstream pools are closed');
      assert.equal(services.upstream.inFlight, 0);
      assert.deepEqual(supervisor.deliveries, [update], 'delivered once, on the hot path');
      assert.deepEqual(await h.deliveredSignals(t.tenantId), [], 'nothing fell back to Temporal');
    } finally {
      release();
      await supervisor.stop();
    }
  });
});
