/**
 * How many tenants may be awake on this host at once. A wake past the limit
 * waits in arrival order for at most `maxWaitMs`, then fails with
 * RuntimeAtCapacityError. The gate never picks a tenant to evict: that is a
 * lifecycle decision, taken by the waiting tenant's workflow, which asks the
 * least recently active idle tenant to sleep and launches again.
 */
import { freemem } from 'node:os';
import { RuntimeAtCapacityError } from './errors.js';

/**
 * One awake tenant's memory as `npm run bench:memory` measured it (bench/results/memory.json
 * `awakePssMb`): OpenClaw's process tree with its tier's V8 settings (runtime/tier-memory.ts)
 * after 20 turns plus its supervisor, PSS (shared pages counted once, so tenants add up).
 * test/local/capacity.test.ts fails when a newer measurement exceeds it.
 */
export const MEASURED_AWAKE_TENANT_MB = 1170;

/**
 * The gate's budget per tenant: the measured figure and a quarter more for growth between
 * recycles (an idle tenant over its tier's RSS limit is relaunched fresh), rounded up to 64 MiB.
 * Paused tenants keep their memory, so they take a place like awake ones.
 */
export const BYTES_PER_TENANT = Math.ceil((MEASURED_AWAKE_TENANT_MB * 1.25) / 64) * 64 * 1024 ** 2;

/** `configured` when set, else one tenant per BYTES_PER_TENANT of memory available now (at least 1). */
export function defaultCapacity(configured: number, availableBytes: number = freemem()): number {
  if (configured > 0) return configured;
  return Math.max(1, Math.floor(availableBytes / BYTES_PER_TENANT));
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class CapacityGate {
  private active = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    readonly max: number,
    /** How long one launch waits for a place before it reports the host full. @default 10 s */
    private readonly maxWaitMs = 10_000,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`capacity must be >= 1, got ${max}`);
  }

  get inUse(): number {
    return this.active;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Resolves when this caller holds a place; rejects with RuntimeAtCapacityError
   * after `maxWaitMs`, or with the abort reason if `signal` aborts first.
   */
  async acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.active < this.max && this.waiters.length === 0) {
      this.active++;
      return;
    }
    let waiter: Waiter | undefined;
    const granted = new Promise<void>((resolve, reject) => {
      waiter = { resolve, reject };
      this.waiters.push(waiter);
    });
    const leave = (error: Error) => {
      const index = this.waiters.indexOf(waiter!);
      if (index < 0) return; // already granted
      this.waiters.splice(index, 1);
      waiter!.reject(error);
    };
    const onAbort = () => leave(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const started = Date.now();
    const timer = setTimeout(
      () => leave(new RuntimeAtCapacityError(this.max, Date.now() - started)),
      this.maxWaitMs,
    );
    try {
      await granted;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Takes a place without waiting, even past the maximum: for a pod that is
   * already running (adopted after a worker restart), which no gate can refuse.
   */
  occupy(): void {
    this.active++;
  }

  /** Gives a place back; the longest waiter gets it. */
  release(): void {
    const next = this.waiters.shift();
    if (next) next.resolve();
    else this.active = Math.max(0, this.active - 1);
  }
}
