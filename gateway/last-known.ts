/**
 * The last value a registry read returned, standing in for a read that fails
 * (a DynamoDB outage, or its restart) or is slow (a registry that accepts
 * connections but does not answer: past `patienceMs`) for at most `maxAgeMs`
 * after it was read. A tenant's model calls then go on through an outage of
 * seconds instead of failing into OpenClaw's retry backoff or waiting on an
 * SDK that has no request timeout. Nothing about a tenant can change while
 * the registry is down (every change is a registry write), so a kept value is
 * as current as the last read before the outage; the bound covers a change
 * made in the moments before it. A slow read still finishes in the background
 * and refreshes the kept value.
 */
import { setBounded } from '../router/bounded-map.js';

const LATE = Symbol('late');

export class LastKnown<V> {
  private readonly values = new Map<string, { readonly value: V; readonly at: number }>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly maxEntries = 10_000,
    /** A registry read normally takes milliseconds; one this slow is an outage. */
    private readonly patienceMs = 300,
  ) {}

  /** `load`'s value (kept); on its failure, or once it takes `patienceMs`, the kept one while young enough. */
  async read(key: string, load: () => Promise<V>): Promise<V> {
    const kept = this.young(key);
    const loading = load().then((value) => {
      setBounded(this.values, key, { value, at: Date.now() }, this.maxEntries);
      return value;
    });
    if (kept === undefined) return loading;
    loading.catch(() => undefined); // a late failure is the outage the kept value answers
    let timer: NodeJS.Timeout | undefined;
    const patience = new Promise<typeof LATE>((resolve) => {
      timer = setTimeout(() => resolve(LATE), this.patienceMs);
    });
    try {
      const first = await Promise.race([loading, patience]);
      return first === LATE ? kept.value : first;
    } catch {
      return kept.value;
    } finally {
      clearTimeout(timer);
    }
  }

  private young(key: string) {
    const kept = this.values.get(key);
    return kept !== undefined && Date.now() - kept.at <= this.maxAgeMs ? kept : undefined;
  }
}
