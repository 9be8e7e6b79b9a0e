/**
 * A tenant's snapshot grant: everything its supervisor may do in the snapshot
 * store, and nothing more. The worker issues it (grant-issuer.ts); the
 * supervisor receives it as a secret and refreshes it with every snapshot and
 * drain call. It holds
 * - presigned URLs: one listing of the tenant's own snapshots prefix, GETs of
 *   its newest snapshots (restore and fallback), create-only PUTs of the next
 *   few seqs. No credentials: the URLs name exact keys, so a supervisor cannot
 *   read, write or delete anything else, least of all another tenant's data;
 * - the tenant's own data keys, unwrapped, so the platform master key (which
 *   also unwraps every other tenant's keys and secrets) never leaves the worker.
 */
import Type from 'typebox';
import Value from 'typebox/value';
import { ClawfleetError } from '../common/errors.js';
import { snapshotsPrefix } from './manifest.js';

export const GRANT_FORMAT = 'clawfleet-snapshot-grant/1';

const Url = Type.String({ pattern: '^https?://' });

export const SnapshotGrantSchema = Type.Object({
  format: Type.Literal(GRANT_FORMAT),
  tenantId: Type.String(),
  issuedAt: Type.String(),
  /** When the URLs stop working (earlier if the issuer's credentials expire first). */
  expiresAt: Type.String(),
  /** Presigned ListObjectsV2 of `tenants/<id>/snapshots/`. */
  list: Url,
  /** Object key → presigned GET. */
  get: Type.Record(Type.String(), Url),
  /** Object key → presigned create-only PUT (signed with `If-None-Match: *`). */
  put: Type.Record(Type.String(), Url),
  dataKeys: Type.Object({
    current: Type.String(),
    /** Key id → base64 AES-256 key. */
    keys: Type.Record(Type.String(), Type.String()),
  }),
});

export type SnapshotGrant = Type.Static<typeof SnapshotGrantSchema>;

/** The supervisor asked for something its grant does not cover. */
export class SnapshotNotGrantedError extends ClawfleetError {
  constructor(message: string) {
    super('SNAPSHOT_NOT_GRANTED', message);
  }
}

/** Parse and check a serialized grant; problems name fields, never values (they are secret). */
export function parseSnapshotGrant(raw: string, tenantId: string): SnapshotGrant {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new SnapshotNotGrantedError('snapshot grant is not JSON');
  }
  if (!Value.Check(SnapshotGrantSchema, value)) {
    const where = [...Value.Errors(SnapshotGrantSchema, value)].slice(0, 3).map((e) => e.instancePath || '/');
    throw new SnapshotNotGrantedError(`snapshot grant is malformed at ${where.join(', ')}`);
  }
  if (value.tenantId !== tenantId)
    throw new SnapshotNotGrantedError(`snapshot grant is for another tenant, not ${tenantId}`);
  const prefix = snapshotsPrefix(tenantId);
  const foreign = [...Object.keys(value.get), ...Object.keys(value.put)].find((k) => !k.startsWith(prefix));
  if (foreign !== undefined)
    throw new SnapshotNotGrantedError('snapshot grant names keys outside the tenant');
  if (!(value.dataKeys.current in value.dataKeys.keys))
    throw new SnapshotNotGrantedError('snapshot grant lacks its current data key');
  return value;
}

/** The supervisor's current grant; a refreshed one replaces it whole. */
export class GrantHolder {
  private current: SnapshotGrant;

  constructor(
    readonly tenantId: string,
    raw: string,
  ) {
    this.current = parseSnapshotGrant(raw, tenantId);
  }

  get grant(): SnapshotGrant {
    return this.current;
  }

  replace(raw: string): void {
    this.current = parseSnapshotGrant(raw, this.tenantId);
  }
}
