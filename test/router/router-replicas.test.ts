/**
 * Router replicas on one host (`CLAWFLEET_ROUTER_REUSE_PORT`, what the chaos
 * suite's dev stack runs): two router processes share the public port with
 * SO_REUSEPORT, so when one is SIGKILLed the next requests are served by the
 * other at once, where a lone router refuses every connection until its
 * restart (3–6 s from source on a loaded host). Without the setting the
 * second process cannot bind the port at all.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../dev/ports.js';
import { RouterHarness, telegramUpdate, type TestTenant } from './router-harness.js';
import { RouterProcess } from './router-process.js';

/** One POST on a connection of its own (no pooled socket to a dead process), closed after the answer. */
function postOnNewConnection(url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, headers: { ...headers, connection: 'close' } });
    req.once('error', reject);
    req.once('response', (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.end(body);
  });
}

describe('router replicas on one port (SO_REUSEPORT; real router processes, Redis, dynalite, Temporal dev server)', function () {
  this.timeout(120_000);
  const h = new RouterHarness();
  const running: RouterProcess[] = [];
  let dataDir: string;

  before(async () => {
    await h.start();
    dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-router-replicas-'));
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((router) => router.stop()));
  });
  after(async () => {
    await h.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function startRouter(port: number, reusePort: boolean): Promise<RouterProcess> {
    const router = await RouterProcess.start(h, dataDir, undefined, { port, reusePort });
    running.push(router);
    return router;
  }

  const postUpdate = (url: string, t: TestTenant, updateId: number) =>
    postOnNewConnection(
      `${url}/tg/${t.tenantId}`,
      { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': t.webhookSecret },
      JSON.stringify(telegramUpdate(updateId, `replica ${updateId}`)),
    );

  it('SIGKILL one of two routers: the next updates, each on a new connection, are all accepted at once', async () => {
    const port = await freePort();
    const [first, second] = [await startRouter(port, true), await startRouter(port, true)];
    const t = await h.tenant();
    // Served while both listen (the kernel spreads new connections over the two sockets).
    for (let id = 1; id <= 4; id++) assert.equal(await postUpdate(first.url, t, id), 200);

    first.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');
    const killed = Date.now();
    for (let id = 5; id <= 16; id++)
      assert.equal(await postUpdate(second.url, t, id), 200, `update ${id} right after the kill`);
    const served = Date.now() - killed;
    // The cold path: each answer waits for Temporal to accept the signal, nothing for a restart.
    assert.ok(served < 5_000, `12 updates took ${served} ms after the kill`);
    const accepted = (await h.deliveredSignals(t.tenantId)).map((e) => Number(e.dedupeId));
    assert.deepEqual(
      [...new Set(accepted)].sort((a, b) => a - b),
      Array.from({ length: 16 }, (_, i) => i + 1),
    );
  });

  it('without the setting a second router on the same port exits at start (the port is not shared by accident)', async () => {
    const port = await freePort();
    await startRouter(port, false);
    // Its start returns as soon as the port answers, which the first router does; the second then fails to bind.
    const second = await startRouter(port, false);
    const exit = await Promise.race([
      second.exited,
      new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 60_000)),
    ]);
    assert.notEqual(exit, 'running', 'the second router should not be able to listen');
    assert.match(second.log, /EADDRINUSE/);
  });
});
