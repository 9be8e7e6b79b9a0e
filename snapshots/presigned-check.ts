/**
 * Checks that a request to the snapshot store carries a valid SigV4 presigned
 * URL, signed with the control plane's own credentials and not yet expired.
 *
 * Real S3 refuses anything else by itself; the embedded store (s3rver) checks
 * no signature at all, so on a local stack the sandbox's egress to it
 * (local/sandbox/snapshot-egress.ts) asks this first. A grant's URLs name
 * exact keys of one tenant, so a valid signature is also the tenant check:
 * a tenant holds only its own grant.
 *
 * The canonical request is rebuilt from the request as sent: the SDK writes
 * the path and query already encoded the way SigV4 canonicalizes them, so the
 * raw path and the sorted raw query pairs are the canonical ones.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface PresignCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface PresignedRequest {
  readonly method: string;
  /** Path and query exactly as sent (`/bucket/key?X-Amz-…`). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Methods a grant signs: list and get (GET), create-only put (PUT); HEAD for existence checks. */
const METHODS = new Set(['GET', 'HEAD', 'PUT']);
const AMZ_DATE = /^(\d{8})T\d{6}Z$/;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const hmac = (key: Buffer | string, text: string) => createHmac('sha256', key).update(text).digest();

function amzTime(stamp: string): number {
  const [, y, mo, d, h, mi, s] = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp)!;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
}

/** Why the request is refused, or null when its presigned signature holds. */
export function presignedRefusal(
  request: PresignedRequest,
  credentials: PresignCredentials,
  nowMs = Date.now(),
): string | null {
  if (!METHODS.has(request.method)) return `method ${request.method} is never granted`;
  const at = request.url.indexOf('?');
  if (at < 0) return 'not a presigned URL (no query)';
  const path = request.url.slice(0, at);
  const pairs = request.url
    .slice(at + 1)
    .split('&')
    .filter(Boolean)
    .map((pair): [string, string] => {
      const eq = pair.indexOf('=');
      return eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
    });
  const param = (name: string) => pairs.find(([k]) => k === name)?.[1];
  const signature = param('X-Amz-Signature');
  const credential = decodeURIComponent(param('X-Amz-Credential') ?? '');
  const date = param('X-Amz-Date') ?? '';
  const expires = Number(param('X-Amz-Expires'));
  const signedHeaders = decodeURIComponent(param('X-Amz-SignedHeaders') ?? '');
  if (param('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || !signature || !AMZ_DATE.test(date))
    return 'not a SigV4 presigned URL';
  const [accessKeyId, day, region, service, terminator] = credential.split('/');
  if (accessKeyId !== credentials.accessKeyId || service !== 's3' || terminator !== 'aws4_request')
    return 'signed with other credentials';
  if (day !== date.slice(0, 8) || !region) return 'malformed credential scope';
  if (!Number.isInteger(expires) || expires <= 0 || nowMs > amzTime(date) + expires * 1000)
    return 'presigned URL expired';
  if (!signedHeaders.split(';').includes('host')) return 'host not signed';

  const canonicalQuery = pairs
    .filter(([k]) => k !== 'X-Amz-Signature')
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalHeaders = signedHeaders
    .split(';')
    .map((name) => {
      const value = request.headers[name];
      const text = Array.isArray(value) ? value.join(',') : (value ?? '');
      return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const canonicalRequest = [
    request.method,
    path,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, sha256(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${credentials.secretAccessKey}`, day);
  for (const part of [region, 's3', 'aws4_request']) key = hmac(key, part);
  const expected = hmac(key, stringToSign);
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected)
    ? null
    : 'signature does not match';
}
