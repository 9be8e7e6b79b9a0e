/**
 * The hot-path endpoint cache in Redis. The tenant workflow publishes a live
 * pod when the agent is ready and clears it before draining; the router reads
 * it on every message. An entry names the pod as well as its address: the
 * router signs each forward for that pod, so whatever else listens at the
 * address later (the next generation, another tenant) refuses it. Entries
 * carry a TTL so a lost clear (worker crash between activities) cannot route
 * traffic to a dead pod forever: the router falls back to the durable cold
 * path when the entry is missing or stale.
 */
import type { Redis } from 'ioredis';
import { assertTenantId } from '../common/ids.js';
import { messageCountKey } from './message-count-keys.js';
import { invalidateTenantLookup } from './tenant-lookup-keys.js';
import type { EndpointCache, PodHandle } from '../activities/ports.js';

export const ENDPOINT_KEY_PREFIX = 'clawfleet:endpoint:';

export function endpointKey(tenantId: string): string {
  return ENDPOINT_KEY_PREFIX + assertTenantId(tenantId);
}

/** The entry's value: JSON `{"endpoint","podId"}`, always in this key order (the router compares values). */
export function encodeEndpointEntry(pod: PodHandle): string {
  return JSON.stringify({ endpoint: pod.endpoint, podId: pod.podId });
}

/** The pod an entry names, or null for anything else (read as a miss: the cold path is always correct). */
export function decodeEndpointEntry(value: string | null): PodHandle | null {
  if (value === null || !value.startsWith('{')) return null;
  try {
    const { endpoint, podId } = JSON.parse(value) as { endpoint?: unknown; podId?: unknown };
    return typeof endpoint === 'string' && typeof podId === 'string' ? { endpoint, podId } : null;
  } catch {
    return null;
  }
}

export class RedisEndpointCache implements EndpointCache {
  constructor(private readonly redis: Redis) {}

  async publish(tenantId: string, pod: PodHandle, ttlMs: number): Promise<void> {
    if (!Number.isInteger(ttlMs) || ttlMs <= 0)
      throw new RangeError(`ttlMs must be a positive integer, got ${ttlMs}`);
    await this.redis.set(endpointKey(tenantId), encodeEndpointEntry(pod), 'PX', ttlMs);
  }

  invalidateTenantView(tenantId: string): Promise<void> {
    return invalidateTenantLookup(this.redis, tenantId);
  }

  async messageCounts(tenantId: string, days: readonly string[]): Promise<Record<string, number>> {
    if (days.length === 0) return {};
    const values = await this.redis.mget(days.map((day) => messageCountKey(tenantId, day)));
    const counts: Record<string, number> = {};
    days.forEach((day, i) => {
      if (values[i] !== null && values[i] !== undefined) counts[day] = Number(values[i]);
    });
    return counts;
  }

  async clear(tenantId: string): Promise<void> {
    await this.redis.del(endpointKey(tenantId));
  }

  /** The published endpoint, or null (the router reads the whole entry itself: router/endpoint-lookup.ts). */
  async lookup(tenantId: string): Promise<string | null> {
    return decodeEndpointEntry(await this.redis.get(endpointKey(tenantId)))?.endpoint ?? null;
  }
}
