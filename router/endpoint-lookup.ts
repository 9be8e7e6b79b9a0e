/**
 * Hot-path endpoint reads for the router, on top of the workflow-owned
 * cache in Redis. Redis errors mean "no endpoint" (the cold path is always
 * correct), and a dead endpoint is dropped only if the entry still holds it,
 * so a fresh endpoint the workflow just published is never deleted.
 *
 * A found endpoint is also kept in this process, so a busy tenant's messages
 * do not each pay a Redis round trip. The copy is used only while Redis key
 * tracking is live (key-invalidations.ts): the workflow's unpublish or
 * replacement of the entry reaches this process within a round trip, and
 * `COPY_TTL_MS` bounds a copy even if a change were missed. A stale copy is
 * safe besides: a forward to a gone or draining supervisor is refused, as is
 * one signed for the pod that used to be there, and the message takes the
 * cold path. Misses are not kept: a sleeping tenant's next message must see
 * the endpoint its wake publishes.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../common/logger.js';
import {
  decodeEndpointEntry,
  ENDPOINT_KEY_PREFIX,
  encodeEndpointEntry,
  endpointKey,
} from '../endpoints/redis-endpoint-cache.js';
import type { PodHandle } from '../workflows/shared.js';
import type { KeyInvalidations } from './key-invalidations.js';
import type { RouterMetrics } from './metrics.js';
import { WarnOnce } from './warn-once.js';
import { setBounded } from './bounded-map.js';

const DELETE_IF_EQUAL = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
/** Longest a local copy is used without asking Redis again, should an invalidation go missing. */
const COPY_TTL_MS = 1_000;
const MAX_COPIES = 10_000;

interface Copy {
  readonly pod: PodHandle;
  readonly expiresAt: number;
}

export class EndpointLookup {
  private readonly warn: WarnOnce;
  private readonly copies = new Map<string, Copy>();

  /** `tracking` must watch `ENDPOINT_KEY_PREFIX`. */
  constructor(
    private readonly redis: Redis,
    private readonly metrics: RouterMetrics,
    logger: Logger,
    private readonly tracking: KeyInvalidations,
  ) {
    this.warn = new WarnOnce(logger);
    tracking.onInvalidate((keys) => {
      if (keys === null) this.copies.clear();
      else for (const key of keys) if (key.startsWith(ENDPOINT_KEY_PREFIX)) this.copies.delete(key);
    });
  }

  /** The live pod (its supervisor base URL and pod id), or null for "use the cold path". */
  async find(tenantId: string): Promise<PodHandle | null> {
    const key = endpointKey(tenantId);
    const copy = this.copies.get(key);
    if (copy !== undefined && copy.expiresAt > Date.now() && this.tracking.live) return copy.pod;
    const epoch = this.tracking.epoch;
    let pod: PodHandle | null;
    try {
      pod = decodeEndpointEntry(await this.redis.get(key));
    } catch (error) {
      this.metrics.fallback('redis_unavailable');
      this.warn.warn('endpoint', error, 'endpoint cache unavailable; using the cold path');
      return null;
    }
    // Kept only if no invalidation arrived while the read was out: it may concern this very answer.
    if (pod !== null && this.tracking.live && this.tracking.epoch === epoch) this.keep(key, pod);
    return pod;
  }

  /** Drop `pod` if it is still the published one; best effort. */
  async drop(tenantId: string, pod: PodHandle): Promise<void> {
    const key = endpointKey(tenantId);
    const copy = this.copies.get(key)?.pod;
    if (copy?.endpoint === pod.endpoint && copy.podId === pod.podId) this.copies.delete(key);
    await this.redis
      .eval(DELETE_IF_EQUAL, 1, key, encodeEndpointEntry(pod))
      .catch((error: unknown) => this.warn.warn('endpoint-drop', error, 'could not drop a dead endpoint'));
  }

  private keep(key: string, pod: PodHandle): void {
    setBounded(this.copies, key, { pod, expiresAt: Date.now() + COPY_TTL_MS }, MAX_COPIES);
  }
}
