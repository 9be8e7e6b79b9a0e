/**
 * A small in-process cache for values the hot path reads on every request
 * and may serve slightly stale (tenant views). Each entry lives `ttlMs` from
 * the moment its load started, so a served value is never older than that;
 * concurrent misses share one load, a failed load is not kept, and beyond
 * `maxEntries` the oldest entries go first.
 */
import { setBounded } from './bounded-map.js';

export interface ShortLivedCacheOptions {
  readonly ttlMs: number;
  /** @default 10_000 */
  readonly maxEntries?: number;
}

interface Entry<V> {
  readonly value: Promise<V>;
  readonly expiresAt: number;
}

export class ShortLivedCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(options: ShortLivedCacheOptions) {
    this.ttlMs = options.ttlMs;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  get(key: string, load: () => Promise<V>): Promise<V> {
    const now = Date.now();
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > now) return entry.value;
    const value = load();
    const fresh = { value, expiresAt: now + this.ttlMs };
    // Only this load's own entry is dropped on failure, never a newer one.
    value.catch(() => {
      if (this.entries.get(key) === fresh) this.entries.delete(key);
    });
    setBounded(this.entries, key, fresh, this.maxEntries);
    return value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
