/**
 * Signed hot-path forwards from the router to a tenant's supervisor. The
 * router used to send the tenant's supervisor token, which anything listening
 * at a stale endpoint could keep and reuse. A signature is useless when
 * leaked: it covers method, path, tenant, pod, a timestamp, a nonce, the
 * session key header and the body, is accepted for `FORWARD_WINDOW_MS` and
 * only once (the supervisor remembers nonces), and is made with a per-tenant
 * key `HMAC(forwarding root, tenantId)`: the router derives it from its key
 * file, the worker from the wrapped root, and the supervisor is given only its
 * own tenant's key at launch.
 */
import {
  createHash,
  createHmac,
  createSecretKey,
  randomUUID,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';

export const FORWARD_SCHEME = 'Clawfleet-Forward';
/** How far a signature's timestamp may be from the verifier's clock, either way (covers clock skew). */
export const FORWARD_WINDOW_MS = 30_000;
const SIGNATURE_BYTES = 32;
const HEADER = /^Clawfleet-Forward (\d{1,15})\.([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{43})$/;

/** What a signature covers. */
export interface ForwardedRequest {
  readonly method: string;
  /** Path and query exactly as sent (`/deliver/telegram`). */
  readonly path: string;
  readonly tenantId: string;
  /** The pod the forward is meant for: the next generation (or another tenant) at that address refuses it. */
  readonly podId: string;
  readonly body: string;
  /** `x-openclaw-session-key`: it picks the agent session a chat turn runs in, so it is signed too. */
  readonly sessionKey?: string | undefined;
}

export interface ParsedForward {
  readonly timestamp: number;
  readonly nonce: string;
  readonly signature: Buffer;
}

/** The per-tenant forwarding key: the same bytes in the router, the worker and that tenant's supervisor. */
export function deriveTenantForwardKey(root: Buffer | KeyObject, tenantId: string): Buffer {
  return createHmac('sha256', root).update(`clawfleet-forward-tenant/1\0${tenantId}`, 'utf8').digest();
}

/** The `Authorization` value of one forward. */
export function forwardAuthorization(
  key: KeyObject,
  request: ForwardedRequest,
  options: { now?: number; nonce?: string } = {},
): string {
  const timestamp = options.now ?? Date.now();
  const nonce = options.nonce ?? randomUUID();
  const signature = mac(key, request, timestamp, nonce).toString('base64url');
  return `${FORWARD_SCHEME} ${timestamp}.${nonce}.${signature}`;
}

/** The parts of a forward's `Authorization` value, or null when it is not one. */
export function parseForwardAuthorization(header: string | undefined): ParsedForward | null {
  const parts = HEADER.exec(header ?? '');
  if (!parts) return null;
  const signature = Buffer.from(parts[3]!, 'base64url');
  if (signature.length !== SIGNATURE_BYTES) return null;
  return { timestamp: Number(parts[1]), nonce: parts[2]!, signature };
}

/** True when the timestamp is within the window of `now`, either way. */
export function isFresh(parsed: ParsedForward, now: number, windowMs = FORWARD_WINDOW_MS): boolean {
  return Math.abs(now - parsed.timestamp) <= windowMs;
}

/** Constant-time check that `parsed` signs exactly `request` under `key` (freshness and replay are the caller's). */
export function signatureMatches(key: KeyObject, parsed: ParsedForward, request: ForwardedRequest): boolean {
  return timingSafeEqual(mac(key, request, parsed.timestamp, parsed.nonce), parsed.signature);
}

/** A key object for repeated HMACs (a raw Buffer is re-imported by every createHmac call). */
export function forwardKeyObject(key: Buffer): KeyObject {
  if (key.length < 32) throw new TypeError('a forwarding key must be 32+ bytes');
  return createSecretKey(key);
}

function mac(key: KeyObject, request: ForwardedRequest, timestamp: number, nonce: string): Buffer {
  // NUL separators: none of these fields can hold one (HTTP header values and our ids never do).
  const session = request.sessionKey === undefined ? '-' : `=${request.sessionKey}`;
  return createHmac('sha256', key)
    .update(
      `clawfleet-forward/1\0${request.method}\0${request.path}\0${request.tenantId}\0${request.podId}\0` +
        `${timestamp}\0${nonce}\0${session}\0`,
      'utf8',
    )
    .update(createHash('sha256').update(request.body, 'utf8').digest())
    .digest();
}
