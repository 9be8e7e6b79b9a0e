import { strict as assert } from 'node:assert';
import type { Redis } from 'ioredis';
import { type LeasedRateLimitStore, leasedRedisStore } from '../../router/leased-rate-limit-store.js';
import { hotPathRedis } from '../../router/wiring.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

interface Answer {
  readonly current: number;
  readonly ttl: number;
}

/** What @fastify/rate-limit does with a store: construct it with its settings, take a child per route. */
function replica(redis: Redis, route = '/tg/:tenantId'): LeasedRateLimitStore {
  const Store = leasedRedisStore(redis, 'test:ratelimit:');
  const child = { routeInfo: { method: 'POST', url: route } };
  return new Store().child(child as never);
}

function incr(store: LeasedRateLimitStore, key: string, windowMs: number, max: number): Promise<Answer> {
  return new Promise((resolve, reject) =>
    store.incr(key, (error, answer) => (error ? reject(error) : resolve(answer!)), windowMs, max),
  );
}

describe('leased rate-limit store (real Redis)', () => {
  let server: TestRedis;
  let redis: Redis;
  const clients: Redis[] = [];

  before(async () => {
    server = await startTestRedis();
    redis = server.client();
  });
  after(async () => {
    for (const client of clients) client.disconnect();
    await server.stop();
  });

  /** A router replica's own hot-path client, as the router wires it. */
  async function hotClient(): Promise<Redis> {
    const client = hotPathRedis(server.url);
    clients.push(client);
    await client.connect();
    return client;
  }

  async function leaseCalls(): Promise<number> {
    const stats = await redis.info('commandstats');
    return Number(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1] ?? 0);
  }

  it('three replicas under concurrent load never admit more than the limit together, and use all of it', async () => {
    const replicas = await Promise.all([1, 2, 3].map(async () => replica(await hotClient())));
    const max = 200;
    const answers = await Promise.all(
      Array.from({ length: 600 }, (_, i) => incr(replicas[i % 3]!, 't-shared', 60_000, max)),
    );
    const admitted = answers.filter((a) => a.current <= max);
    assert.equal(admitted.length, max, 'every unit of the budget granted once, none twice');
    assert.deepEqual(
      admitted.map((a) => a.current).sort((x, y) => x - y),
      Array.from({ length: max }, (_, i) => i + 1),
      'each request number is handed out exactly once across replicas',
    );
    for (const refused of answers.filter((a) => a.current > max))
      assert.ok(refused.ttl > 0 && refused.ttl <= 60_000, `Retry-After from the window: ${refused.ttl}`);
  });

  it('a busy tenant costs a Redis round trip per block, not per request', async () => {
    const store = replica(await hotClient());
    const before = await leaseCalls();
    for (let i = 1; i <= 1_000; i++) {
      const answer = await incr(store, 't-busy', 60_000, 1_000_000);
      assert.equal(answer.current, i);
    }
    const calls = (await leaseCalls()) - before;
    // Blocks of 1, 2, 4, … 64, then 64 each: 7 + ceil((1000 - 127) / 64) = 21.
    assert.ok(calls <= 21, `${calls} lease calls for 1,000 requests`);
  });

  it('a small limit is counted in Redis per request (blocks of one), so replicas share it exactly', async () => {
    const [a, b] = [replica(await hotClient()), replica(await hotClient())];
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await incr(i % 2 ? b : a, 't-small', 60_000, 4));
    assert.deepEqual(
      answers.map((x) => x.current),
      [1, 2, 3, 4, 5, 5],
    );
    assert.equal(await redis.get('test:ratelimit:POST/tg/:tenantId-t-small'), '4');
  });

  it('a spent window is refused locally until it ends, then the budget is back', async () => {
    const store = replica(await hotClient());
    for (let i = 1; i <= 3; i++) assert.equal((await incr(store, 't-window', 400, 3)).current, i);
    const before = await leaseCalls();
    const refused = await incr(store, 't-window', 400, 3);
    assert.equal(refused.current, 4);
    assert.equal((await incr(store, 't-window', 400, 3)).current, 4);
    assert.ok((await leaseCalls()) - before <= 1, 'at most one call to learn the window is spent');
    await new Promise((resolve) => setTimeout(resolve, refused.ttl + 50));
    assert.equal((await incr(store, 't-window', 400, 3)).current, 1);
  });

  it('routes and tenants have separate budgets', async () => {
    const client = await hotClient();
    const [telegram, chat] = [replica(client), replica(client, '/v1/tenants/:tenantId/chat/completions')];
    assert.equal((await incr(telegram, 't-sep', 60_000, 1)).current, 1);
    assert.equal((await incr(telegram, 't-sep', 60_000, 1)).current, 2);
    assert.equal((await incr(chat, 't-sep', 60_000, 1)).current, 1);
    assert.equal((await incr(telegram, 't-other', 60_000, 1)).current, 1);
  });

  it('Redis down: the error reaches the plugin (which lets the request through: skipOnError)', async () => {
    const client = hotPathRedis('redis://127.0.0.1:9');
    clients.push(client);
    await assert.rejects(incr(replica(client), 't-down', 60_000, 10));
  });
});
