import { strict as assert } from 'node:assert';
import type { Redis } from 'ioredis';
import {
  fillTenantLookup,
  invalidateTenantLookup,
  tenantLookupGenerationKey,
  tenantLookupKey,
} from '../../endpoints/tenant-lookup-keys.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

describe('tenant lookup cache fencing (real Redis)', () => {
  let server: TestRedis;
  let redis: Redis;

  before(async () => {
    server = await startTestRedis();
    redis = server.client();
  });
  after(() => server.stop());

  const generation = (tenantId: string) => redis.get(tenantLookupGenerationKey(tenantId));

  it('a fill that read the registry before an invalidation does not write the old view back', async () => {
    const before = await generation('fence-a'); // what a router reads with its cache miss
    await invalidateTenantLookup(redis, 'fence-a'); // the admin API changes the tenant meanwhile
    assert.equal(await fillTenantLookup(redis, 'fence-a', before, '{"status":"active"}', 30_000), false);
    assert.equal(await redis.get(tenantLookupKey('fence-a')), null);
  });

  it('a fill after the invalidation is cached, with its TTL', async () => {
    await invalidateTenantLookup(redis, 'fence-b');
    const current = await generation('fence-b');
    assert.equal(await fillTenantLookup(redis, 'fence-b', current, '{"status":"suspended"}', 30_000), true);
    assert.equal(await redis.get(tenantLookupKey('fence-b')), '{"status":"suspended"}');
    const ttl = await redis.pttl(tenantLookupKey('fence-b'));
    assert.ok(ttl > 29_000 && ttl <= 30_000, `ttl ${ttl}`);
  });

  it('a tenant never invalidated is filled, and an invalidation deletes its view', async () => {
    assert.equal(
      await fillTenantLookup(redis, 'fence-c', await generation('fence-c'), '{"x":1}', 30_000),
      true,
    );
    await invalidateTenantLookup(redis, 'fence-c');
    assert.equal(await redis.get(tenantLookupKey('fence-c')), null);
    assert.ok(
      (await redis.pttl(tenantLookupGenerationKey('fence-c'))) > 0,
      'the generation expires eventually',
    );
  });
});
