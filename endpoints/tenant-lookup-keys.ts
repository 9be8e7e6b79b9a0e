/**
 * Keys of the router's short-lived tenant lookup cache (status, credential
 * hashes) in Redis. The router fills it; whoever changes a tenant (admin API,
 * CLI) deletes the entry so the change is seen at once, not after the TTL.
 */
import type { Redis } from 'ioredis';
import { assertTenantId } from '../common/ids.js';

export const TENANT_LOOKUP_KEY_PREFIX = 'clawfleet:tenant-lookup:';

export function tenantLookupKey(tenantId: string): string {
  return TENANT_LOOKUP_KEY_PREFIX + assertTenantId(tenantId);
}

/** Drop the router's cached view of a tenant; a missing entry is success. */
export async function invalidateTenantLookup(redis: Redis, tenantId: string): Promise<void> {
  await redis.del(tenantLookupKey(tenantId));
}
