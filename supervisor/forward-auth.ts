/**
 * The supervisor's check of the router's signed forwards
 * (common/forward-signature.ts): signed with this tenant's forwarding key,
 * for this pod, for this very method, path, session key and body, within the
 * window, and never seen before. A nonce is remembered until its timestamp
 * leaves the window, after which the timestamp alone refuses it; only
 * correctly signed requests are remembered, so strangers cannot fill the
 * table, and a full table refuses rather than forgets (fail closed).
 */
import type { KeyObject } from 'node:crypto';
import {
  FORWARD_WINDOW_MS,
  forwardKeyObject,
  isFresh,
  parseForwardAuthorization,
  signatureMatches,
  type ForwardedRequest,
} from '../common/forward-signature.js';

export interface ForwardAuthOptions {
  /** This tenant's forwarding key (the `forwardKey` secret, decoded). */
  readonly key: Buffer;
  readonly tenantId: string;
  readonly podId: string;
  /** @default FORWARD_WINDOW_MS */
  readonly windowMs?: number;
  /** Nonces remembered at most; beyond, signed forwards are refused until old ones expire. @default 100_000 */
  readonly maxNonces?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

export type SignedRequest = Omit<ForwardedRequest, 'tenantId' | 'podId'>;

export class ForwardAuth {
  private readonly key: KeyObject;
  private readonly windowMs: number;
  private readonly maxNonces: number;
  private readonly now: () => number;
  /** nonce → when it may be forgotten; insertion order is close to expiry order. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly options: ForwardAuthOptions) {
    this.key = forwardKeyObject(options.key);
    this.windowMs = options.windowMs ?? FORWARD_WINDOW_MS;
    this.maxNonces = options.maxNonces ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  /** Cheap check before the body is read: a well-formed, fresh signature header. */
  plausible(header: string | undefined): boolean {
    const parsed = parseForwardAuthorization(header);
    return parsed !== null && isFresh(parsed, this.now(), this.windowMs);
  }

  /** True once for a fresh, correct signature of `request`; a replay of it is false. */
  accept(header: string | undefined, request: SignedRequest): boolean {
    const parsed = parseForwardAuthorization(header);
    const now = this.now();
    if (!parsed || !isFresh(parsed, now, this.windowMs)) return false;
    const signed = { ...request, tenantId: this.options.tenantId, podId: this.options.podId };
    if (!signatureMatches(this.key, parsed, signed)) return false;
    this.forgetExpired(now);
    if (this.seen.has(parsed.nonce) || this.seen.size >= this.maxNonces) return false;
    this.seen.set(parsed.nonce, parsed.timestamp + this.windowMs);
    return true;
  }

  private forgetExpired(now: number): void {
    for (const [nonce, until] of this.seen) {
      if (until >= now) break;
      this.seen.delete(nonce);
    }
  }
}
