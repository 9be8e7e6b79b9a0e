import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { createActivities } from '../../activities/index.js';
import { TenantClient } from '../../client/tenant-client.js';
import { decodeEndpointEntry } from '../../endpoints/redis-endpoint-cache.js';
import { invalidateTenantLookup } from '../../endpoints/tenant-lookup-keys.js';
import { FakeWorld } from '../workflows/fake-world.js';
import { bundle } from '../workflows/harness.js';
import {
  eventually,
  RouterHarness,
  TEST_SETTINGS,
  telegramUpdate,
  type TestTenant,
} from './router-harness.js';
import { StandInSupervisor } from './stand-in-supervisor.js';

describe('router delivery paths with real Redis, Temporal dev server and dynalite', function () {
  this.timeout(180_000);
  const h = new RouterHarness();
  let app: FastifyInstance;

  before(async () => {
    await h.start();
    ({ app } = await h.app());
  });
  after(() => h.stop());

  const post = (target: FastifyInstance, tenant: TestTenant, body: string) =>
    target.inject({
      method: 'POST',
      url: `/tg/${tenant.tenantId}`,
      headers: {
        'content-type': 'application/json',
        'x-telegram-bot-api-secret-token': tenant.webhookSecret,
      },
      payload: body,
    });

  it('hot path: an awake tenant gets the raw update signed for its pod (no token); 200 after the durable ack', async () => {
    const t = await h.tenant();
    const supervisor = await new StandInSupervisor(t).start();
    try {
      await h.publishEndpoint(t.tenantId, supervisor.endpoint);
      const body = JSON.stringify(telegramUpdate(100, 'hot  path ✓'));
      const res = await post(app, t, body);
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { ok: true, delivery: 'durable' });
      assert.deepEqual(supervisor.deliveries, [body], 'forwarded byte for byte');
      assert.match(
        supervisor.authorizations[0]!,
        /^Clawfleet-Forward /,
        'a one-time signature, not a bearer token',
      );
      assert.deepEqual(await h.deliveredSignals(t.tenantId), [], 'nothing went through Temporal');
      assert.equal(await h.workflowExists(t.tenantId), false, 'a touch never starts a workflow');
    } finally {
      await supervisor.stop();
    }
  });

  it('cold path: a sleeping tenant’s update is accepted by Temporal as a deliver signal before the 200', async () => {
    const t = await h.tenant();
    const body = JSON.stringify(telegramUpdate(200));
    const res = await post(app, t, body);
    assert.equal(res.statusCode, 200);
    const signals = await h.deliveredSignals(t.tenantId);
    assert.equal(signals.length, 1);
    assert.equal(signals[0]!.channel, 'telegram');
    assert.equal(signals[0]!.dedupeId, '200');
    assert.equal(signals[0]!.body, body);
  });

  for (const failure of ['unavailable', 'hang', 'refused', 'another pod'] as const) {
    it(`hot-path failure (${failure}) falls back to the cold path and drops the dead endpoint`, async () => {
      const t = await h.tenant();
      // 'another pod': the next generation now listens at the address published for generation 1.
      const supervisor = await new StandInSupervisor(
        t,
        failure === 'another pod' ? `${t.tenantId}-2` : `${t.tenantId}-1`,
      ).start();
      const endpoint = failure === 'refused' ? 'http://127.0.0.1:9' : supervisor.endpoint;
      if (failure === 'unavailable' || failure === 'hang') supervisor.mode = failure;
      try {
        await h.publishEndpoint(t.tenantId, endpoint);
        const res = await post(app, t, JSON.stringify(telegramUpdate(300)));
        assert.equal(res.statusCode, 200);
        assert.deepEqual(
          (await h.deliveredSignals(t.tenantId)).map((e) => e.dedupeId),
          ['300'],
        );
        assert.equal(await h.redis.client().get(`clawfleet:endpoint:${t.tenantId}`), null);
        if (failure === 'another pod') assert.equal(supervisor.refused, 1, 'refused by the signature');
      } finally {
        await supervisor.stop();
      }
    });
  }

  it('a fresh endpoint published meanwhile is not dropped by a failure on the old one', async () => {
    const t = await h.tenant();
    await h.publishEndpoint(t.tenantId, 'http://127.0.0.1:9', `${t.tenantId}-1`);
    const { services } = await h.app();
    await h.publishEndpoint(t.tenantId, 'http://127.0.0.1:9', `${t.tenantId}-2`); // the same address, a new pod
    await services.endpoints.drop(t.tenantId, { endpoint: 'http://127.0.0.1:9', podId: `${t.tenantId}-1` });
    assert.deepEqual(decodeEndpointEntry(await h.redis.client().get(`clawfleet:endpoint:${t.tenantId}`)), {
      endpoint: 'http://127.0.0.1:9',
      podId: `${t.tenantId}-2`,
    });
  });

  it('router restarted after Temporal accepted: the update is delivered once a worker runs, and a Telegram retry of the same update_id has exactly one effect', async () => {
    const t = await h.tenant();
    const body = JSON.stringify(telegramUpdate(400));
    const first = await h.app();
    assert.equal((await post(first.app, t, body)).statusCode, 200);
    await first.app.close(); // the router goes away; the update lives in Temporal
    const second = await h.app();
    // Telegram did not see our answer (say the router died while replying) and sends it again.
    assert.equal((await post(second.app, t, body)).statusCode, 200);
    assert.equal((await h.deliveredSignals(t.tenantId)).length, 2, 'both attempts were accepted');

    const world = new FakeWorld(t.tenantId);
    const worker = await Worker.create({
      connection: h.env.nativeConnection,
      taskQueue: TEST_SETTINGS.temporal.taskQueue,
      workflowBundle: await bundle(),
      activities: createActivities(world.deps()),
    });
    await worker.runUntil(async () => {
      await eventually(() => world.delivered.some((e) => e.dedupeId === '400'), 'delivery of update 400');
      // The workflow has processed both signals once describe shows the delivery.
      const tenants = new TenantClient({ client: h.temporal, taskQueue: TEST_SETTINGS.temporal.taskQueue });
      await eventually(async () => (await tenants.describe(t.tenantId)).deliveredCount >= 1, 'describe');
    });
    assert.equal(world.count('deliver 400'), 1, 'the workflow dedupes the retry: one delivery activity');
    assert.equal(world.delivered.filter((e) => e.dedupeId === '400').length, 1);
  });

  it('a tenant suspended through the admin path is refused at once: key tracking drops every replica’s view', async () => {
    const t = await h.tenant();
    assert.equal((await post(app, t, JSON.stringify(telegramUpdate(450)))).statusCode, 200); // caches the view
    const record = (await h.registry.get(t.tenantId))!;
    await h.registry.update(t.tenantId, { status: 'suspended' }, record.version);
    await invalidateTenantLookup(h.redis.client(), t.tenantId); // what the admin API does on every change
    const changedAt = Date.now();
    let id = 451;
    await eventually(
      async () => (await post(app, t, JSON.stringify(telegramUpdate(id++)))).statusCode === 403,
      'a 403',
      5_000,
    );
    const staleMs = Date.now() - changedAt;
    // Well inside the views' own 1 s bound: the invalidation reached the process, the view did not just expire.
    assert.ok(staleMs <= 300, `the old view was served for ${staleMs} ms`);
  });

  it('Redis stopped mid-test: lookups fall back to the registry, updates still go through Temporal (last: stops Redis)', async () => {
    const t = await h.tenant();
    const cached = await h.tenant();
    const supervisor = await new StandInSupervisor(cached).start();
    try {
      await h.publishEndpoint(cached.tenantId, supervisor.endpoint);
      assert.equal((await post(app, cached, JSON.stringify(telegramUpdate(500)))).statusCode, 200);
      await h.redis.stop();
      for (const [tenant, id] of [
        [t, 501],
        [cached, 502],
      ] as const) {
        const res = await post(app, tenant, JSON.stringify(telegramUpdate(id)));
        assert.equal(res.statusCode, 200, res.body);
        assert.deepEqual(
          (await h.deliveredSignals(tenant.tenantId)).map((e) => e.dedupeId),
          [String(id)],
        );
      }
      const wrong = await app.inject({
        method: 'POST',
        url: `/tg/${t.tenantId}`,
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'nope' },
        payload: JSON.stringify(telegramUpdate(503)),
      });
      assert.equal(wrong.statusCode, 401, 'authentication still holds without the cache');
      const metrics = await app.inject({ method: 'GET', url: '/metrics' });
      assert.match(metrics.body, /clawfleet_router_fallbacks_total\{reason="redis_unavailable"\} [1-9]/);
    } finally {
      await supervisor.stop();
    }
  });
});
