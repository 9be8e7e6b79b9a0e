/**
 * Snapshot object keys and the manifest that marks a snapshot complete.
 *
 *   tenants/<tenantId>/snapshots/<seq>.tar.zst.enc   body: tar | zstd | AES-256-GCM envelope
 *   tenants/<tenantId>/snapshots/<seq>.manifest.json written last; its existence means "complete"
 *   tenants/<tenantId>/keys/<keyId>.json             the tenant's wrapped data key(s)
 *
 * `<seq>` is zero-padded to 10 digits so lexical order is numeric order.
 */
import Type from 'typebox';
import Value from 'typebox/value';
import { assertTenantId } from '../common/ids.js';
import { SnapshotCorruptError } from './errors.js';

export const SEQ_DIGITS = 10;
export const MAX_SEQ = 10 ** SEQ_DIGITS - 1;
export const BODY_SUFFIX = '.tar.zst.enc';
export const MANIFEST_SUFFIX = '.manifest.json';
export const MANIFEST_FORMAT = 'clawfleet-snapshot/1';

export const SnapshotManifestSchema = Type.Object({
  format: Type.Literal(MANIFEST_FORMAT),
  tenantId: Type.String(),
  seq: Type.Integer({ minimum: 1, maximum: MAX_SEQ }),
  /** Hex sha256 of the stored (encrypted) object. */
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  /** Bytes of the stored object. */
  size: Type.Integer({ minimum: 0 }),
  /** Bytes of file content in the archive. */
  unpackedBytes: Type.Integer({ minimum: 0 }),
  /** Entries in the archive (files, directories, symlinks). */
  files: Type.Integer({ minimum: 0 }),
  openclawVersion: Type.String(),
  createdAt: Type.String(),
  /** The tenant data key that encrypted the body (`tenants/<id>/keys/<keyId>.json`). */
  keyId: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }),
  compression: Type.Literal('zstd'),
  encryption: Type.Literal('aes-256-gcm'),
});

export type SnapshotManifest = Type.Static<typeof SnapshotManifestSchema>;

/** The manifest of snapshot `seq` once its sealed body is stored: what a restore checks the body against. */
export function newManifest(
  tenantId: string,
  seq: number,
  stored: Pick<SnapshotManifest, 'sha256' | 'size' | 'unpackedBytes' | 'files' | 'keyId'>,
  openclawVersion: string,
): SnapshotManifest {
  return {
    format: MANIFEST_FORMAT,
    tenantId,
    seq,
    sha256: stored.sha256,
    size: stored.size,
    unpackedBytes: stored.unpackedBytes,
    files: stored.files,
    openclawVersion,
    createdAt: new Date().toISOString(),
    keyId: stored.keyId,
    compression: 'zstd',
    encryption: 'aes-256-gcm',
  };
}

export function formatSeq(seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 1 || seq > MAX_SEQ)
    throw new RangeError(`invalid snapshot seq ${seq}`);
  return String(seq).padStart(SEQ_DIGITS, '0');
}

export function tenantPrefix(tenantId: string): string {
  return `tenants/${assertTenantId(tenantId)}/`;
}

export function snapshotsPrefix(tenantId: string): string {
  return `${tenantPrefix(tenantId)}snapshots/`;
}

export function bodyKey(tenantId: string, seq: number): string {
  return `${snapshotsPrefix(tenantId)}${formatSeq(seq)}${BODY_SUFFIX}`;
}

export function manifestKey(tenantId: string, seq: number): string {
  return `${snapshotsPrefix(tenantId)}${formatSeq(seq)}${MANIFEST_SUFFIX}`;
}

/** What a key under `snapshotsPrefix` is; undefined for anything we did not write. */
export function parseSnapshotKey(
  prefix: string,
  key: string,
): { seq: number; kind: 'body' | 'manifest' } | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const match = /^(\d{10})(\.tar\.zst\.enc|\.manifest\.json)$/.exec(key.slice(prefix.length));
  if (!match?.[1]) return undefined;
  const seq = Number(match[1]);
  if (seq < 1) return undefined;
  return { seq, kind: match[2] === BODY_SUFFIX ? 'body' : 'manifest' };
}

/** Parse and check a stored manifest against where it was found; a mismatch is corruption (or a copy). */
export function parseManifest(tenantId: string, seq: number, text: string): SnapshotManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SnapshotCorruptError(tenantId, seq, 'manifest is not JSON', { cause: err });
  }
  if (!Value.Check(SnapshotManifestSchema, value)) {
    const first = [...Value.Errors(SnapshotManifestSchema, value)][0];
    throw new SnapshotCorruptError(
      tenantId,
      seq,
      `manifest is malformed (${first?.instancePath ?? ''} ${first?.message ?? ''})`,
    );
  }
  if (value.tenantId !== tenantId || value.seq !== seq) {
    throw new SnapshotCorruptError(tenantId, seq, `manifest belongs to ${value.tenantId}/${value.seq}`);
  }
  return value;
}

/** The additional authenticated data of a snapshot body: moving or renumbering the object breaks the tag. */
export function snapshotContext(tenantId: string, seq: number): Buffer {
  return Buffer.from(`clawfleet-snapshot/1\0tenant=${tenantId}\0seq=${formatSeq(seq)}`, 'utf8');
}
