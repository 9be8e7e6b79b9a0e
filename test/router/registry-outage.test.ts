/**
 * The registry (DynamoDB) down while tenants keep writing: the router serves
 * a tenant it has seen from its last known view (router/tenant-directory.ts)
 * instead of a 503 once the cached view expires, for at most a minute, and
 * never after the tenant changed (its lookup generation moved). Real Redis,
 * dynalite behind a TCP relay this test can cut (the outage), Temporal dev
 * server (the cold path accepts the updates).
 */
import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FastifyInstance } from 'fastify';
import { invalidateTenantLookup } from '../../endpoints/tenant-lookup-keys.js';
import { createDocumentClient } from '../../registry/document-client.js';
import type { RouterServices } from '../../router/services.js';
import { eventually, RouterHarness, telegramUpdate, type TestTenant } from './router-harness.js';

/** A TCP relay to `port` that can be cut: every connection reset, new ones refused. */
async function relay(port: number): Promise<{ port: number; cut: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.resetAndDestroy();
      await closed;
    },
  };
}

describe('router with the registry down (last known tenant views; real Redis, dynalite behind a relay, Temporal)', function () {
  this.timeout(60_000);
  const h = new RouterHarness();
  let client: DynamoDBClient;
  let cut: () => Promise<void>;
  let app: FastifyInstance;
  let services: RouterServices;

  before(async () => {
    await h.start();
    const through = await relay(Number(new URL(h.dynamo.endpoint).port));
    cut = through.cut;
    client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${through.port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'DYNALITE', secretAccessKey: 'DYNALITE' },
      maxAttempts: 1,
    });
    // Views expire from Redis after 1 s, as a tenant's would at some point of any outage.
    ({ app, services } = await h.app({ lookupCacheTtl: '1s' }, undefined, createDocumentClient(client)));
    await eventually(() => services.tracking.live, 'redis key tracking live');
  });
  after(async () => {
    await h.stop();
    client.destroy();
  });

  const post = (t: TestTenant, updateId: number) =>
    app.inject({
      method: 'POST',
      url: `/tg/${t.tenantId}`,
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': t.webhookSecret },
      payload: JSON.stringify(telegramUpdate(updateId)),
    });
  const expired = () => new Promise((resolve) => setTimeout(resolve, 1_200));

  it('a seen tenant is served through the outage; a changed one and a never-seen one get 503 REGISTRY_UNAVAILABLE', async () => {
    const [seen, changed, never] = await Promise.all([h.tenant(), h.tenant(), h.tenant()]);
    assert.equal((await post(seen, 1)).statusCode, 200);
    assert.equal((await post(changed, 1)).statusCode, 200);

    await cut();
    await expired(); // the process's copy and the Redis entry are both gone: only the registry could answer
    // What the admin API does after changing a tenant (a suspension, a revoked secret): the generation moves.
    await invalidateTenantLookup(h.redis.client(), changed.tenantId);
    await expired();

    const served = await post(seen, 2);
    assert.equal(served.statusCode, 200, served.body);
    for (const refused of [await post(changed, 2), await post(never, 1)]) {
      assert.equal(refused.statusCode, 503, refused.body);
      assert.equal(refused.json<{ code: string }>().code, 'REGISTRY_UNAVAILABLE');
      assert.equal(refused.headers['retry-after'], '1');
    }
    // Still served a moment later (a kept view serves for up to a minute after it was read).
    await expired();
    assert.equal((await post(seen, 3)).statusCode, 200);
    const accepted = (await h.deliveredSignals(seen.tenantId)).map((e) => e.dedupeId);
    assert.deepEqual(accepted.sort(), ['1', '2', '3']);
  });
});
