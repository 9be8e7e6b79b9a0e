import assert from 'node:assert/strict';
import {
  decodeEndpointEntry,
  endpointKey,
  RedisEndpointCache,
} from '../../endpoints/redis-endpoint-cache.js';
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
    await cache.publish('acme', { endpoint: 'http://127.0.0.2:9100', podId: 'acme-3' }, 60_000);
    assert.equal(await cache.lookup('acme'), 'http://127.0.0.2:9100');
    assert.deepEqual(
      decodeEndpointEntry(await redis.client().get(endpointKey('acme'))),
      { endpoint: 'http://127.0.0.2:9100', podId: 'acme-3' },
      'the entry names the pod: the router signs its forwards for that pod',
    );
    await cache.clear('acme');
    assert.equal(await cache.lookup('acme'), null);
  });

  it('clearing a tenant that has no entry succeeds (a retried activity is harmless)', async () => {
    await cache.clear('never-published');
    await cache.clear('never-published');
  });

  it('forgets an endpoint when its TTL lapses, so a lost clear cannot route to a dead pod forever', async () => {
    await cache.publish('shortlived', { endpoint: 'http://127.0.0.3:9100', podId: 'shortlived-1' }, 50);
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal(await cache.lookup('shortlived'), null);
  });

  it('keeps tenants apart and refuses ids that could escape their key', async () => {
    await cache.publish('tenant-a', { endpoint: 'http://127.0.0.4:9100', podId: 'tenant-a-1' }, 60_000);
    assert.equal(await cache.lookup('tenant-b'), null);
    await assert.rejects(
      cache.publish('a:b', { endpoint: 'http://x', podId: 'a-1' }, 1000),
      /invalid tenant id/,
    );
    await assert.rejects(cache.lookup('../a'), /invalid tenant id/);
  });

  it('reads an entry that is not a pod (an older format, garbage) as no endpoint: the cold path', () => {
    for (const value of ['http://127.0.0.5:9100', '{"endpoint":"http://x"}', '{oops'])
      assert.equal(decodeEndpointEntry(value), null, value);
  });
});
