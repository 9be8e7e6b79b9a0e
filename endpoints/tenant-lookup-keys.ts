/**
 * Keys of the router's short-lived tenant lookup cache (status, credential
 * hashes) in Redis. The router fills it; whoever changes a tenant (admin API,
 * CLI) deletes the entry so the change is seen at once, not after the TTL.
 *
 * A router that read the registry just before a change could write the old
 * view back just after the delete, and it would be served until the TTL. So
 * every invalidation also bumps the tenant's generation, and a fill is a
 * compare-and-set against the generation read before the registry was.
 */
import type { Redis } from 'ioredis';
import { assertTenantId } from '../common/ids.js';

export const TENANT_LOOKUP_KEY_PREFIX = 'clawfleet:tenant-lookup:';
/** Every change of a tenant bumps its generation, so a change under this prefix means "views of it are stale". */
export const TENANT_LOOKUP_GENERATION_PREFIX = `${TENANT_LOOKUP_KEY_PREFIX}gen:`;

export function tenantLookupKey(tenantId: string): string {
  return TENANT_LOOKUP_KEY_PREFIX + assertTenantId(tenantId);
}

export function tenantLookupGenerationKey(tenantId: string): string {
  return TENANT_LOOKUP_GENERATION_PREFIX + assertTenantId(tenantId);
}

/** Longer than any registry read can take; an expired generation only makes in-flight fills miss. */
const GENERATION_TTL_MS = 24 * 3_600_000;

/** Drop the router's cached view of a tenant and fence off fills that read the registry before now. */
export async function invalidateTenantLookup(redis: Redis, tenantId: string): Promise<void> {
  const generation = tenantLookupGenerationKey(tenantId);
  await redis
    .multi()
    .incr(generation)
    .pexpire(generation, GENERATION_TTL_MS)
    .del(tenantLookupKey(tenantId))
    .exec();
}

/** SET the view only if the generation is still the one read before the registry (KEYS: view, generation). */
const FILL_IF_CURRENT = `
if (redis.call('GET', KEYS[2]) or '') == ARGV[1] then
  return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 0`;

/**
 * Cache `value` for `ttlMs` unless the tenant was invalidated since
 * `generation` (the value of `tenantLookupGenerationKey`, null if unset) was read.
 */
export async function fillTenantLookup(
  redis: Redis,
  tenantId: string,
  generation: string | null,
  value: string,
  ttlMs: number,
): Promise<boolean> {
  const result = await redis.eval(
    FILL_IF_CURRENT,
    2,
    tenantLookupKey(tenantId),
    tenantLookupGenerationKey(tenantId),
    generation ?? '',
    value,
    String(ttlMs),
  );
  return result === 'OK';
}
