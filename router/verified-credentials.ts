/**
 * Credentials already proven against one tenant view, remembered for as long
 * as that view object lives (the in-process cache replaces it within 1 s),
 * so a busy tenant's repeated secret or API key skips the peppered HMAC,
 * the largest CPU cost left on the hot path. Keyed by the view object and
 * never stored in it: views are written to Redis, credentials must never
 * be. Only successes are remembered; comparison is constant time
 * (timingSafeEqual, every entry checked; the length of these generated
 * tokens is no secret).
 */
import { timingSafeEqual } from 'node:crypto';

/** Distinct credentials remembered per view and purpose (API keys: several clients may share a tenant). */
const PER_VIEW = 4;

export class VerifiedCredentials {
  private readonly proven = new WeakMap<object, Map<string, Buffer[]>>();

  has(view: object, purpose: string, presented: string): boolean {
    const known = this.proven.get(view)?.get(purpose);
    if (!known) return false;
    const candidate = Buffer.from(presented, 'utf8');
    let found = false;
    for (const credential of known)
      if (credential.length === candidate.length && timingSafeEqual(credential, candidate)) found = true;
    return found;
  }

  add(view: object, purpose: string, presented: string): void {
    let byPurpose = this.proven.get(view);
    if (!byPurpose) this.proven.set(view, (byPurpose = new Map<string, Buffer[]>()));
    const known = byPurpose.get(purpose) ?? [];
    known.push(Buffer.from(presented, 'utf8'));
    byPurpose.set(purpose, known.slice(-PER_VIEW));
  }
}
