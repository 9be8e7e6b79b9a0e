/**
 * The last value a registry read returned, standing in for a read that fails
 * (a DynamoDB outage, or its restart) for at most `maxAgeMs` after it was
 * read. A tenant's model calls then go on through an outage of seconds
 * instead of failing into OpenClaw's retry backoff. Nothing about a tenant can
 * change while the registry is down (every change is a registry write), so a
 * kept value is as current as the last read before the outage; the bound
 * covers a change made in the moments before it.
 */
import { setBounded } from '../router/bounded-map.js';

export class LastKnown<V> {
  private readonly values = new Map<string, { readonly value: V; readonly at: number }>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  /** `load`'s value (kept), or on its failure the kept one while young enough; else the failure. */
  async read(key: string, load: () => Promise<V>): Promise<V> {
    try {
      const value = await load();
      setBounded(this.values, key, { value, at: Date.now() }, this.maxEntries);
      return value;
    } catch (error) {
      const kept = this.values.get(key);
      if (kept === undefined || Date.now() - kept.at > this.maxAgeMs) throw error;
      return kept.value;
    }
  }
}
