/**
 * Redis-assisted invalidation of values this process keeps in memory
 * (Redis client-side caching, broadcasting mode): Redis tells a dedicated
 * connection about every write, delete or expiry of a key under the watched
 * prefixes, so a local copy is dropped within a round trip of its change
 * instead of living out a TTL.
 *
 * A copy may be used only while the feed is `live`. Whenever the feed is
 * lost (disconnect, Redis restart: the server forgets tracking), everything
 * is reported invalidated and nothing counts as live until tracking is on
 * again. `epoch` grows with every invalidation: a reader notes it before its
 * Redis read and keeps the answer only if it has not moved, because an
 * invalidation may overtake the read's own reply (they travel on different
 * connections).
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../common/logger.js';
import { WarnOnce } from './warn-once.js';

const CHANNEL = '__redis__:invalidate';

/** `null`: everything (the feed was lost, or Redis was flushed). */
export type InvalidationListener = (keys: readonly string[] | null) => void;

export class KeyInvalidations {
  private readonly connection: Redis;
  private readonly warn: WarnOnce;
  private readonly listeners: InvalidationListener[] = [];
  private liveNow = false;
  private epochNow = 0;
  private closed = false;

  /** `redis` is duplicated: tracking needs a connection of its own, speaking RESP2 pub/sub. */
  constructor(
    redis: Redis,
    private readonly prefixes: readonly string[],
    logger: Logger,
  ) {
    this.warn = new WarnOnce(logger);
    this.connection = redis.duplicate({
      protocol: 2, // RESP3 delivers invalidations as push frames ioredis drops; RESP2 as pub/sub messages
      autoResubscribe: false, // tracking must be switched on before subscribing, on every connection
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      lazyConnect: true,
    });
    this.connection.on('error', () => undefined); // reported below, once
    this.connection.on('close', () => this.lost());
    this.connection.on('ready', () => void this.track());
    this.connection.on('messageBuffer', (channel: Buffer, keys: Buffer[] | null) => {
      if (channel.toString() === CHANNEL) this.invalidate(keys === null ? null : keys.map(String));
    });
  }

  /** True while every change under the prefixes reaches this process. */
  get live(): boolean {
    return this.liveNow;
  }

  get epoch(): number {
    return this.epochNow;
  }

  onInvalidate(listener: InvalidationListener): void {
    this.listeners.push(listener);
  }

  /** Connects in the background; until it is live, readers simply do not keep copies. */
  start(): void {
    this.connection.connect().catch(() => undefined); // retried by ioredis; 'ready' switches tracking on
  }

  close(): void {
    this.closed = true;
    this.connection.disconnect();
    this.lost();
  }

  private async track(): Promise<void> {
    try {
      const id = String(await this.connection.client('ID'));
      const prefixes = this.prefixes.flatMap((prefix) => ['PREFIX', prefix]);
      await this.connection.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', id, 'BCAST', ...prefixes);
      await this.connection.subscribe(CHANNEL);
      this.epochNow++;
      this.liveNow = true;
    } catch (error) {
      this.warn.warn('tracking', error, 'redis key tracking unavailable; local copies disabled');
      // Reconnect and try again, not at once: a Redis without tracking would be asked in a tight loop. Not if a
      // reconnect of its own (the usual cause of a failure here) has made the feed live meanwhile.
      setTimeout(() => this.closed || this.liveNow || this.connection.disconnect(true), 5_000).unref();
    }
  }

  private lost(): void {
    if (!this.liveNow) return;
    this.liveNow = false;
    this.invalidate(null);
  }

  private invalidate(keys: readonly string[] | null): void {
    this.epochNow++;
    for (const listener of this.listeners) listener(keys);
  }
}
