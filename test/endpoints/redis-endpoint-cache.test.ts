import assert from 'node:assert/strict';
import { RedisEndpointCache } from '../../endpoints/redis-endpoint-cache.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

describe('Redis endpoint cache', () => {
  let redis: TestRedis;
  let cache: RedisEndpointCache;

  before(async () => {
    redis = await startTestRedis();
    cache = new RedisEndpointCache(redis.client());
  });
  after(async () => {
    await redis.stop();
  });

  it('publishes an endpoint the router can look up, and clearing it sends the router to the cold path', async () => {
    await cache.publish('acme', 'http://127.0.0.2:9100', 60_000);
    assert.equal(await cache.lookup('acme'), 'http://127.0.0.2:9100');
    await cache.clear('acme');
    assert.equal(await cache.lookup('acme'), null);
  });

  it('clearing a tenant that has no entry succeeds (a retried activity is harmless)', async () => {
    await cache.clear('never-published');
    await cache.clear('never-published');
  });

  it('forgets an endpoint when its TTL lapses, so a lost clear cannot route to a dead pod forever', async () => {
    await cache.publish('shortlived', 'http://127.0.0.3:9100', 50);
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal(await cache.lookup('shortlived'), null);
  });

  it('keeps tenants apart and refuses ids that could escape their key', async () => {
    await cache.publish('tenant-a', 'http://127.0.0.4:9100', 60_000);
    assert.equal(await cache.lookup('tenant-b'), null);
    await assert.rejects(cache.publish('a:b', 'http://x', 1000), /invalid tenant id/);
    await assert.rejects(cache.lookup('../a'), /invalid tenant id/);
  });
});
