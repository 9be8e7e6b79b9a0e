/**
 * Which stored snapshots a restore tries and a prune deletes, from one
 * listing: only complete ones (manifest written last) at or below the
 * registry's forward-only `latestSeq` count, and the newest of those is never
 * pruned.
 */
import { DecryptionError } from '../common/crypto.js';
import {
  ArchiveFormatError,
  ArchiveLimitError,
  DataKeyError,
  SnapshotCorruptError,
  UnsafeArchiveEntryError,
  type SkippedSnapshot,
} from './errors.js';

export interface SnapshotListing {
  readonly seq: number;
  /** The manifest exists: the snapshot was written completely. */
  readonly complete: boolean;
  /** Bytes of the stored body, if it exists. */
  readonly size: number | undefined;
}

/** Failures that condemn one snapshot (restore falls back to an older one); anything else is rethrown. */
const SNAPSHOT_DEFECTS = [
  SnapshotCorruptError,
  DecryptionError,
  UnsafeArchiveEntryError,
  ArchiveLimitError,
  ArchiveFormatError,
  DataKeyError,
];

export function isSnapshotDefect(err: unknown): boolean {
  return SNAPSHOT_DEFECTS.some((type) => err instanceof type);
}

/**
 * The seqs a restore tries, newest first; a `latestSeq` the registry names
 * without a manifest is reported skipped at once (its state is lost).
 */
export function restoreCandidates(
  listing: readonly SnapshotListing[],
  latestSeq: number | undefined,
): { candidates: number[]; skipped: SkippedSnapshot[] } {
  const ceiling = latestSeq ?? Infinity;
  const candidates = listing
    .filter((s) => s.complete && s.seq <= ceiling)
    .map((s) => s.seq)
    .reverse();
  const skipped: SkippedSnapshot[] = [];
  if (latestSeq !== undefined && latestSeq > 0 && candidates[0] !== latestSeq) {
    const reason = `the registry names snapshot ${latestSeq} but it has no manifest`;
    skipped.push({ seq: latestSeq, code: 'SNAPSHOT_CORRUPT', reason });
  }
  return { candidates, skipped };
}

/**
 * What a prune deletes: all but the newest `keep` complete snapshots, and
 * abandoned partial ones older than the newest complete; nothing above
 * `latestSeq`.
 */
export function pruneVictims(
  listing: readonly SnapshotListing[],
  keep: number,
  latestSeq: number | undefined,
): SnapshotListing[] {
  const ceiling = latestSeq ?? Infinity;
  const kept = new Set(
    listing
      .filter((s) => s.complete && s.seq <= ceiling)
      .slice(-keep)
      .map((s) => s.seq),
  );
  const newest = Math.max(0, ...kept);
  return listing.filter((s) => s.seq < newest && !kept.has(s.seq));
}
