/**
 * Supervisor tokens for the hot path, held only in this process's memory for
 * a short time: resolving one means a DynamoDB read and a decryption, too slow
 * for every message, and the token must never be written to Redis or logs.
 */
export type TokenResolver = (tenantId: string) => Promise<string>;

export interface SupervisorTokensOptions {
  readonly resolve: TokenResolver;
  /** @default 60_000 */
  readonly ttlMs?: number;
  /** Oldest entries are evicted beyond this. @default 10_000 */
  readonly maxEntries?: number;
}

interface Entry {
  readonly token: Promise<string>;
  readonly expiresAt: number;
}

export class SupervisorTokens {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(private readonly options: SupervisorTokensOptions) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** Concurrent first requests share one resolve; a failed resolve is not cached. */
  get(tenantId: string): Promise<string> {
    const now = Date.now();
    const entry = this.entries.get(tenantId);
    if (entry && entry.expiresAt > now) return entry.token;
    const token = this.options.resolve(tenantId);
    token.catch(() => this.entries.delete(tenantId));
    this.entries.delete(tenantId); // re-insert at the end: Map order is the eviction order
    this.entries.set(tenantId, { token, expiresAt: now + this.ttlMs });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return token;
  }

  /** The supervisor refused the token (rotated): resolve afresh next time. */
  forget(tenantId: string): void {
    this.entries.delete(tenantId);
  }
}
