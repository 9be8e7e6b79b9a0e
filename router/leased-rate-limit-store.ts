/**
 * A Redis store for @fastify/rate-limit that leases each window's budget in
 * blocks instead of counting every request in Redis.
 *
 * The plugin's own RedisStore runs a Lua `INCR` per request: one Redis round
 * trip on every hot-path message, the largest single cost of the router's
 * hot path (docs/benchmarks.md). Here the Redis counter holds how much of
 * the tenant's window budget has been *granted* to router replicas; a
 * replica takes a block (a lease) with one atomic script and hands out the
 * block's request numbers locally. So:
 *   - never more than `max` requests pass per window across all replicas:
 *     Redis grants at most what is left of the budget;
 *   - a replica asks Redis about once per block (1, 2, 4, … up to
 *     `max / 32`, at most 64 requests), so a tenant with a small limit is
 *     counted per request as before and a busy one costs a round trip per
 *     few dozen messages;
 *   - the price: a replica may hold part of a block unused when the window
 *     ends, so with several replicas a tenant can be refused slightly early
 *     (at most 1/32 of its budget per replica, per window);
 *   - once Redis says the window's budget is spent, the replica refuses
 *     locally until the window ends, with the window's real remaining time.
 * The plugin keeps everything else: keying, the hooks, headers, 429 and
 * Retry-After. Redis errors reach it as errors (`skipOnError` decides).
 * `continueExceeding` and `exponentialBackoff` are not supported.
 */
import type { FastifyRateLimitStore } from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import { setBounded } from './bounded-map.js';

/**
 * KEYS[1] the window's counter; ARGV window ms, max, wanted block size.
 * Returns the count granted before this lease, the size granted (0 when the
 * budget is spent) and the window's remaining ms.
 */
const LEASE = `
local before = tonumber(redis.call('GET', KEYS[1]) or '0')
local give = math.max(0, math.min(tonumber(ARGV[3]), tonumber(ARGV[2]) - before))
if give > 0 then redis.call('INCRBY', KEYS[1], give) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
elseif ttl == -2 then
  ttl = tonumber(ARGV[1])
end
return {before, give, ttl}`;

/** Largest block a replica takes; also at most this fraction of the budget. */
const MAX_LEASE = 64;
const LEASE_SHARE = 32;
const MAX_KEYS = 10_000;

interface Lease {
  /** The next request number this replica hands out, and the last one it holds. */
  next: number;
  end: number;
  /** Size of the next block asked for in this window (doubles per block). */
  nextSize: number;
  readonly expiresAt: number;
}

type Callback = Parameters<FastifyRateLimitStore['incr']>[1];

interface LeaseRedis extends Redis {
  clawfleetRateLease(
    key: string,
    windowMs: number,
    max: number,
    size: number,
  ): Promise<[number, number, number]>;
}

/** What the plugin really passes to `child`: its merged route settings, which carry the route (its RedisStore reads the same). */
interface RouteSettings {
  readonly routeInfo: { readonly method?: string | string[]; readonly url?: string };
}

/** The plugin's `store` option: it constructs the class with its settings, so Redis comes from a closure. */
export function leasedRedisStore(redis: Redis, nameSpace: string): new () => LeasedRateLimitStore {
  const client = redis as LeaseRedis;
  if (typeof client.clawfleetRateLease !== 'function')
    client.defineCommand('clawfleetRateLease', { numberOfKeys: 1, lua: LEASE });
  return class extends LeasedRateLimitStore {
    constructor() {
      super(client, nameSpace);
    }
  };
}

export class LeasedRateLimitStore implements FastifyRateLimitStore {
  private readonly leases = new Map<string, Lease>();
  private readonly refills = new Map<string, Promise<void>>();

  constructor(
    private readonly redis: LeaseRedis,
    private readonly prefix: string,
  ) {}

  /** Per-route store, keyed like the plugin's RedisStore (`<ns><method><url>-<key>`). */
  child(options: Parameters<FastifyRateLimitStore['child']>[0]): LeasedRateLimitStore {
    const { method, url } = (options as unknown as RouteSettings).routeInfo;
    return new LeasedRateLimitStore(this.redis, `${this.prefix}${String(method)}${url}-`);
  }

  incr(key: string, callback: Callback, windowMs: number, max: number): void {
    const id = this.prefix + key;
    const now = Date.now();
    const lease = this.leases.get(id);
    if (lease !== undefined && lease.expiresAt > now) {
      if (lease.next <= lease.end) {
        callback(null, { current: lease.next++, ttl: lease.expiresAt - now });
        return;
      }
      if (lease.next > max) {
        callback(null, { current: max + 1, ttl: lease.expiresAt - now }); // spent: Redis said so
        return;
      }
    }
    this.refill(id, windowMs, max, lease).then(
      () => this.incr(key, callback, windowMs, max),
      (error: Error) => callback(error),
    );
  }

  /** One lease request per key at a time; requests that arrive meanwhile wait for it. */
  private refill(id: string, windowMs: number, max: number, previous: Lease | undefined): Promise<void> {
    let pending = this.refills.get(id);
    if (pending === undefined) {
      pending = this.lease(id, windowMs, max, previous).finally(() => this.refills.delete(id));
      this.refills.set(id, pending);
    }
    return pending;
  }

  private async lease(id: string, windowMs: number, max: number, previous: Lease | undefined): Promise<void> {
    const sameWindow = previous !== undefined && previous.expiresAt > Date.now();
    const cap = Math.max(1, Math.min(MAX_LEASE, Math.floor(max / LEASE_SHARE)));
    const size = Math.min(cap, sameWindow ? previous.nextSize : 1);
    const [before, given, ttl] = await this.redis.clawfleetRateLease(id, windowMs, max, size);
    const lease: Lease = {
      // Granted nothing: the budget is spent, so the next number is past `max` and incr refuses.
      next: given > 0 ? before + 1 : Math.max(before, max) + 1,
      end: before + given,
      nextSize: Math.min(cap, size * 2),
      expiresAt: Date.now() + ttl,
    };
    setBounded(this.leases, id, lease, MAX_KEYS);
  }
}
