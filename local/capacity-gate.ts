/**
 * How many tenants may be awake on this host at once. A wake past the limit
 * waits in arrival order; while it waits, `makeRoom` is asked (at once and
 * then every `retryMs`) to put an idle tenant to sleep, which frees a place
 * when that tenant's processes are gone.
 */
import { freemem } from 'node:os';

/** Measured: one OpenClaw gateway holds ~1.45 GB RSS after a few turns; the supervisor ~80 MB. */
export const BYTES_PER_TENANT = 1.5 * 1024 ** 3;

/** `configured` when set, else one tenant per 1.5 GB of memory available now (at least 1). */
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
    private readonly makeRoom: () => Promise<void>,
    private readonly retryMs = 15_000,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`capacity must be >= 1, got ${max}`);
  }

  get inUse(): number {
    return this.active;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Resolves when this caller holds a place; rejects if `signal` aborts first. */
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
    const onAbort = () => {
      const index = this.waiters.indexOf(waiter!);
      if (index >= 0) this.waiters.splice(index, 1);
      waiter!.reject(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const nudge = () => void this.makeRoom().catch(() => undefined);
    nudge();
    const timer = setInterval(nudge, this.retryMs);
    try {
      await granted;
    } finally {
      clearInterval(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Gives a place back; the longest waiter gets it. */
  release(): void {
    const next = this.waiters.shift();
    if (next) next.resolve();
    else this.active = Math.max(0, this.active - 1);
  }
}
