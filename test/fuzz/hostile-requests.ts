/**
 * Generated hostile input for the public router and the admin API:
 * malformed JSON, wrong types, huge and deep bodies, bad headers, traversal
 * and unicode in ids. Every request is invalid by construction: a body never
 * has the shape a route accepts, so whatever credentials a request carries,
 * it must get a 4xx and change nothing. Shared by the fuzz test and
 * `npm run fuzz`.
 */
import { createHash } from 'node:crypto';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import type { TableNames } from '../../registry/tables.js';

export interface HostileRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly payload?: string;
}

/** Ids a route must refuse or not find: traversal, encodings, unicode, case, length, emptiness. */
export const hostileId: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '..',
    '../..',
    '%2e%2e%2f',
    '..%2F..%2Fetc%2Fpasswd',
    '%00',
    'a%00b',
    '%',
    '~root',
    'A-UPPER',
  ),
  fc.constantFrom('x'.repeat(64), 'x'.repeat(300), '-lead', 'sp ace', 'tab\t', 'new%0Aline', '.hidden'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }).map(encodeURIComponent),
  fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,20}$/).map((id) => `fz-missing-${id}`), // well-formed, unknown
);

/** JSON values of any shape, minus the keys that would make a body acceptable (`exclude`). */
function objectWithout(exclude: readonly string[]): fc.Arbitrary<unknown> {
  return fc
    .dictionary(
      fc.string({ maxLength: 12 }).filter((k) => !exclude.includes(k)),
      fc.jsonValue({ maxDepth: 3 }),
      { maxKeys: 6 },
    )
    .map((value) => value as unknown);
}

/**
 * Bodies no route accepts: `required` names the keys whose presence with the
 * right type would make a body valid somewhere (update_id, messages,
 * tenantId, value, ...); they appear only with a wrong type.
 */
export function hostileBody(required: readonly string[]): fc.Arbitrary<string> {
  const wrongTyped = fc
    .record({
      key: fc.constantFrom(...required),
      value: fc.oneof(fc.constant(null), fc.boolean(), fc.double(), fc.array(fc.integer(), { maxLength: 3 })),
    })
    .map(({ key, value }) => JSON.stringify({ [key]: key === 'update_id' ? String(value) : value }));
  return fc.oneof(
    fc.constantFrom(
      '',
      '{',
      '{"a":',
      '[1,2',
      'nul',
      'tru',
      '{"a":1}}',
      '\u0000',
      '{"__proto__":{"x":1}',
      '"',
    ),
    fc
      .jsonValue({ maxDepth: 2 })
      .filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))
      .map((v) => JSON.stringify(v)),
    objectWithout(required).map((v) => JSON.stringify(v)),
    wrongTyped,
    fc.constantFrom(
      '['.repeat(5_000) + ']'.repeat(5_000), // deep
      `{"x":"${'y'.repeat(2 * 1024 * 1024)}"}`, // over every body limit
      `{"a":${'{"a":'.repeat(2_000)}1${'}'.repeat(2_000)}}`,
    ),
    fc.string({ unit: 'grapheme', maxLength: 64 }),
  );
}

/** Header values a client may send: missing, empty, wrong schemes, junk, very long (latin1 only, as HTTP allows). */
export function hostileAuthorization(validTokens: readonly string[]): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    fc.constant(undefined),
    fc.constantFrom(
      '',
      'Bearer',
      'Bearer ',
      'Basic YWRtaW46YWRtaW4=',
      'bearer lowercase',
      `Bearer ${'a'.repeat(9_000)}`,
    ),
    fc.string({ unit: 'binary-ascii', maxLength: 40 }).map((s) => `Bearer ${s.replace(/[^\x20-\x7e]/g, '')}`),
    ...(validTokens.length > 0 ? [fc.constantFrom(...validTokens).map((token) => `Bearer ${token}`)] : []),
  );
}

export const hostileContentType: fc.Arbitrary<string | undefined> = fc
  .constantFrom(
    undefined,
    'application/json',
    'application/json; charset=utf-16',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json\u0000',
    '*/*',
  )
  .map((v) => (v?.includes('\u0000') ? 'application/json;x=%00' : v));

/** Summary of one fuzz run. */
export interface FuzzSummary {
  readonly target: string;
  readonly seed: number;
  readonly sent: number;
  readonly byStatus: Record<string, number>;
  readonly serverErrors: number;
  /** What the after-checks found changed (must be empty). */
  readonly changed: string[];
  /** Requests that got a 5xx, or a 2xx for anything but a read (first few, for the report). */
  readonly failures: { request: string; status: number; body: string }[];
}

export function summarize(
  target: string,
  seed: number,
  results: { request: HostileRequest; status: number; body: string }[],
  changed: string[],
): FuzzSummary {
  const byStatus: Record<string, number> = {};
  for (const { status } of results) byStatus[status] = (byStatus[status] ?? 0) + 1;
  const failures = results
    .filter((r) => r.status >= 500 || (r.status < 300 && r.request.method !== 'GET'))
    .slice(0, 5)
    .map((r) => ({
      request: `${r.request.method} ${r.request.url.slice(0, 120)}`,
      status: r.status,
      body: r.body.slice(0, 200),
    }));
  return {
    target,
    seed,
    sent: results.length,
    byStatus,
    serverErrors: results.filter((r) => r.status >= 500).length,
    changed,
    failures,
  };
}

/** A fingerprint of every registry table (items and values), to prove nothing was written. */
export async function registryFingerprint(doc: DynamoDBDocumentClient, tables: TableNames): Promise<string> {
  const hash = createHash('sha256');
  for (const table of Object.values(tables) as string[]) {
    // Test tables are small: one page holds them (a second page would be a surprise worth failing on).
    const page = await doc.send(new ScanCommand({ TableName: table }));
    if (page.LastEvaluatedKey !== undefined) throw new Error(`${table} does not fit one scan page`);
    const items = (page.Items ?? []).map((item) => JSON.stringify(sortedKeys(item)));
    hash.update(`${table}:${items.sort().join('\n')}\n`);
  }
  return hash.digest('hex');
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  if (value instanceof Set) return [...(value as Set<unknown>)].map(sortedKeys).sort();
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, sortedKeys(v)]),
  );
}

/** `count` requests drawn from `arbitrary` with `seed` (replayable). */
export function draw<T>(arbitrary: fc.Arbitrary<T>, count: number, seed: number): T[] {
  return fc.sample(arbitrary, { numRuns: count, seed });
}
