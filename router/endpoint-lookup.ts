/**
 * Hot-path endpoint reads for the router, on top of the workflow-owned
 * cache in Redis. Redis errors mean "no endpoint" (the cold path is always
 * correct), and a dead endpoint is dropped only if the entry still holds it,
 * so a fresh endpoint the workflow just published is never deleted.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../common/logger.js';
import { endpointKey } from '../endpoints/redis-endpoint-cache.js';
import type { RouterMetrics } from './metrics.js';
import { WarnOnce } from './warn-once.js';

const DELETE_IF_EQUAL = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export class EndpointLookup {
  private readonly warn: WarnOnce;

  constructor(
    private readonly redis: Redis,
    private readonly metrics: RouterMetrics,
    logger: Logger,
  ) {
    this.warn = new WarnOnce(logger);
  }

  /** The supervisor base URL, or null for "use the cold path". */
  async find(tenantId: string): Promise<string | null> {
    try {
      return await this.redis.get(endpointKey(tenantId));
    } catch (error) {
      this.metrics.fallback('redis_unavailable');
      this.warn.warn('endpoint', error, 'endpoint cache unavailable; using the cold path');
      return null;
    }
  }

  /** Drop `endpoint` if it is still the cached one; best effort. */
  async drop(tenantId: string, endpoint: string): Promise<void> {
    await this.redis
      .eval(DELETE_IF_EQUAL, 1, endpointKey(tenantId), endpoint)
      .catch((error: unknown) => this.warn.warn('endpoint-drop', error, 'could not drop a dead endpoint'));
  }
}
