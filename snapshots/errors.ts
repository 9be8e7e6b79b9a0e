import { ClawfleetError } from '../common/errors.js';

/** Why an archive entry was refused; stable strings, safe to log and to match on. */
export type UnsafeEntryReason =
  | 'invalid-name'
  | 'absolute-path'
  | 'parent-segment'
  | 'link-escape'
  | 'beneath-link'
  | 'hardlink-target'
  | 'special-file'
  | 'duplicate-entry';

/** An archive entry that could write outside the target or create something other than files, dirs and links. */
export class UnsafeArchiveEntryError extends ClawfleetError {
  readonly reason: UnsafeEntryReason;
  readonly entryName: string;

  constructor(reason: UnsafeEntryReason, entryName: string, detail: string, options?: { cause?: unknown }) {
    super(
      'SNAPSHOT_UNSAFE_ENTRY',
      `refused archive entry ${JSON.stringify(entryName.slice(0, 200))}: ${detail}`,
      options,
    );
    this.reason = reason;
    this.entryName = entryName;
  }
}

/** An archive (or a state dir being packed) exceeds the file-count or unpacked-size limit. */
export class ArchiveLimitError extends ClawfleetError {
  readonly limit: 'files' | 'bytes';
  readonly max: number;

  constructor(limit: 'files' | 'bytes', max: number, entryName?: string) {
    const what = limit === 'files' ? `more than ${max} entries` : `more than ${max} unpacked bytes`;
    super(
      'SNAPSHOT_LIMIT_EXCEEDED',
      `archive has ${what}${entryName ? ` (at ${JSON.stringify(entryName)})` : ''}`,
    );
    this.limit = limit;
    this.max = max;
  }
}

/** The archive stream is not a well-formed tar (truncated, bad header, bad compression). */
export class ArchiveFormatError extends ClawfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SNAPSHOT_ARCHIVE_MALFORMED', message, options);
  }
}

/** A stored snapshot cannot be used: missing body, bad manifest, checksum mismatch, truncated stream. */
export class SnapshotCorruptError extends ClawfleetError {
  readonly tenantId: string;
  readonly seq: number;

  constructor(tenantId: string, seq: number, reason: string, options?: { cause?: unknown }) {
    super('SNAPSHOT_CORRUPT', `snapshot ${seq} of tenant ${tenantId} is unusable: ${reason}`, options);
    this.tenantId = tenantId;
    this.seq = seq;
  }
}

/** A snapshot with this sequence number already exists (or is being written); snapshots are never overwritten. */
export class SnapshotExistsError extends ClawfleetError {
  readonly tenantId: string;
  readonly seq: number;

  constructor(tenantId: string, seq: number, options?: { cause?: unknown }) {
    super('SNAPSHOT_SEQ_EXISTS', `snapshot ${seq} of tenant ${tenantId} already exists`, options);
    this.tenantId = tenantId;
    this.seq = seq;
  }
}

/** Snapshots exist (or the registry says one should) but none of them could be restored. */
export class NoRestorableSnapshotError extends ClawfleetError {
  readonly tenantId: string;
  readonly skipped: readonly SkippedSnapshot[];

  constructor(tenantId: string, skipped: readonly SkippedSnapshot[]) {
    const detail = skipped.map((s) => `${s.seq}: ${s.reason}`).join('; ');
    super('SNAPSHOT_NONE_RESTORABLE', `no restorable snapshot for tenant ${tenantId} (${detail})`);
    this.tenantId = tenantId;
    this.skipped = skipped;
  }
}

/** The tenant's wrapped data key record is missing or malformed. */
export class DataKeyError extends ClawfleetError {
  readonly tenantId: string;
  readonly keyId: string;

  constructor(tenantId: string, keyId: string, reason: string, options?: { cause?: unknown }) {
    super('SNAPSHOT_DATA_KEY_UNAVAILABLE', `data key ${keyId} of tenant ${tenantId}: ${reason}`, options);
    this.tenantId = tenantId;
    this.keyId = keyId;
  }
}

/** A snapshot passed over during restore, and why. */
export interface SkippedSnapshot {
  readonly seq: number;
  readonly code: string;
  readonly reason: string;
}

/** S3 accepted a request but reported a partial failure (e.g. some objects of a batch delete). */
export class SnapshotStorageError extends ClawfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SNAPSHOT_STORAGE_FAILED', message, options);
  }
}
