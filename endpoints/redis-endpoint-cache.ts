/**
 * The hot-path endpoint cache in Redis. The tenant workflow publishes a live
 * endpoint when the agent is ready and clears it before draining; the router
 * reads it on every message. Entries carry a TTL so a lost clear (worker crash
 * between activities) cannot route traffic to a dead pod forever: the router
 * falls back to the durable cold path when the entry is missing or stale.
 */
import type { Redis } from 'ioredis';
import { assertTenantId } from '../common/ids.js';
import type { EndpointCache } from '../activities/ports.js';

export const ENDPOINT_KEY_PREFIX = 'clawfleet:endpoint:';

export function endpointKey(tenantId: string): string {
  return ENDPOINT_KEY_PREFIX + assertTenantId(tenantId);
}

export class RedisEndpointCache implements EndpointCache {
  constructor(private readonly redis: Redis) {}

  async publish(tenantId: string, endpoint: string, ttlMs: number): Promise<void> {
    if (!Number.isInteger(ttlMs) || ttlMs <= 0)
      throw new RangeError(`ttlMs must be a positive integer, got ${ttlMs}`);
    await this.redis.set(endpointKey(tenantId), endpoint, 'PX', ttlMs);
  }

  async clear(tenantId: string): Promise<void> {
    await this.redis.del(endpointKey(tenantId));
  }

  /** The router's hot-path read; null means "use the cold path". */
  async lookup(tenantId: string): Promise<string | null> {
    return this.redis.get(endpointKey(tenantId));
  }
}
