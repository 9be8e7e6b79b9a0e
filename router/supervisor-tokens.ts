/**
 * Supervisor tokens for the hot path, held only in this process's memory for
 * a short time: resolving one means a DynamoDB read and a decryption, too slow
 * for every message, and the token must never be written to Redis or logs.
 */
import { ShortLivedCache } from './short-lived-cache.js';

export type TokenResolver = (tenantId: string) => Promise<string>;

export interface SupervisorTokensOptions {
  readonly resolve: TokenResolver;
  /** @default 60_000 */
  readonly ttlMs?: number;
  /** Oldest entries are evicted beyond this. @default 10_000 */
  readonly maxEntries?: number;
}

export class SupervisorTokens {
  private readonly cache: ShortLivedCache<string>;

  constructor(private readonly options: SupervisorTokensOptions) {
    this.cache = new ShortLivedCache({
      ttlMs: options.ttlMs ?? 60_000,
      ...(options.maxEntries !== undefined && { maxEntries: options.maxEntries }),
    });
  }

  /** Concurrent first requests share one resolve; a failed resolve is not cached. */
  get(tenantId: string): Promise<string> {
    return this.cache.get(tenantId, () => this.options.resolve(tenantId));
  }

  /** The supervisor refused the token (rotated): resolve afresh next time. */
  forget(tenantId: string): void {
    this.cache.delete(tenantId);
  }
}
