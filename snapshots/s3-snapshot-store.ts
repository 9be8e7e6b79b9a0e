/**
 * Encrypted tenant snapshots in S3 (layout in manifest.ts, format and
 * rationale in docs/snapshots.md). Works without the registry by deriving the
 * latest snapshot from manifests; callers that have the registry's forward-only
 * `latestSnapshotSeq` pass it as `latestSeq`, and it then bounds what restore
 * and prune consider newest.
 */
import { type S3Client } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import { type MasterKeyProvider } from '../common/crypto.js';
import { type ClawfleetError } from '../common/errors.js';
import { assertTenantId } from '../common/ids.js';
import { type Logger } from '../common/logger.js';
import { type PackOptions, type PackStats } from './archive.js';
import { DataKeyStore } from './data-keys.js';
import {
  DataKeyError,
  NoRestorableSnapshotError,
  SnapshotCorruptError,
  SnapshotExistsError,
  type SkippedSnapshot,
} from './errors.js';
import { asDecodeFailure, downloadVerified, withSpool } from './body-transfer.js';
import { DEFAULT_LIMITS, type ArchiveLimits } from './extract.js';
import { replaceDirectory } from './replace-directory.js';
import * as layout from './manifest.js';
import { openSealed, sealDirectory } from './pipeline.js';
import { bucketObjects, type DataKeySource, type SnapshotObjects } from './object-access.js';
import {
  isSnapshotDefect,
  pruneVictims,
  restoreCandidates,
  type SnapshotListing,
} from './snapshot-selection.js';

/**
 * Full access (the worker: its S3 credentials and the master key), or a
 * tenant's grant (its supervisor: presigned URLs and its own data keys).
 */
export type SnapshotAccess =
  | { readonly s3: S3Client; readonly bucket: string; readonly masterKey: MasterKeyProvider }
  | { readonly objects: SnapshotObjects; readonly keys: DataKeySource };

export type S3SnapshotStoreOptions = SnapshotAccess & {
  /** Bounds both what save packs and what restore accepts. @default DEFAULT_LIMITS (100k entries, 2 GiB) */
  readonly limits?: ArchiveLimits;
  /** zstd level. @default 3 */
  readonly compressionLevel?: number;
  /** Which parts of the state dir are archived. @default DURABLE_ENTRIES, no extra exclusions */
  readonly pack?: Omit<PackOptions, 'limits'>;
  /** Where bodies are spooled around uploads and downloads. @default os.tmpdir() */
  readonly spoolDir?: string;
  readonly logger?: Logger;
};

export interface SaveOptions {
  readonly openclawVersion: string;
  /** Use exactly this seq (refused if it exists). @default one above every seq stored and `latestSeq` */
  readonly seq?: number;
  /** The registry's latest seq, if known. */
  readonly latestSeq?: number;
}

export interface SavedSnapshot {
  readonly manifest: layout.SnapshotManifest;
  /** Paths left out of the archive on purpose (not durable, live WAL, unsafe links), with why. */
  readonly dropped: PackStats['skipped'];
}

export interface RestoreResult {
  /** What was restored; undefined when the tenant has no snapshot at all (the target is untouched). */
  readonly manifest: layout.SnapshotManifest | undefined;
  /** Newer snapshots passed over, newest first, and why. Non-empty means state was lost: alert on it. */
  readonly skipped: readonly SkippedSnapshot[];
}

export class S3SnapshotStore {
  private readonly objects: SnapshotObjects;
  private readonly keys: DataKeySource;
  /** Only with full access: creating, rotating and granting keys needs the master key. */
  private readonly dataKeys: DataKeyStore | undefined;
  private readonly limits: ArchiveLimits;

  constructor(private readonly options: S3SnapshotStoreOptions) {
    if ('objects' in options) {
      this.objects = options.objects;
      this.keys = options.keys;
    } else {
      const bucket = { s3: options.s3, name: options.bucket };
      this.objects = bucketObjects(bucket);
      this.dataKeys = new DataKeyStore(bucket, options.masterKey);
      this.keys = this.dataKeys;
    }
    this.limits = options.limits ?? DEFAULT_LIMITS;
  }

  /** Pack, encrypt and upload `sourceDir` (a stopped gateway's state dir, or a consistent backup of it). */
  async save(tenantId: string, sourceDir: string, options: SaveOptions): Promise<SavedSnapshot> {
    assertTenantId(tenantId);
    const listing = await this.list(tenantId);
    const seq = options.seq ?? Math.max(0, options.latestSeq ?? 0, ...listing.map((s) => s.seq)) + 1;
    layout.formatSeq(seq);
    if (listing.some((s) => s.seq === seq)) throw new SnapshotExistsError(tenantId, seq);
    const { keyId, key } = await this.keys.current(tenantId);
    return withSpool(this.options.spoolDir, async (spool) => {
      const sealed = await sealDirectory(sourceDir, join(spool, 'body'), {
        key,
        keyId,
        context: layout.snapshotContext(tenantId, seq),
        level: this.options.compressionLevel,
        pack: { ...this.options.pack, limits: this.limits },
      });
      // Body first, manifest last: a crash in between leaves an incomplete snapshot that nobody restores.
      if (
        !(await this.objects.putIfAbsent(layout.bodyKey(tenantId, seq), sealed, 'application/octet-stream'))
      ) {
        throw new SnapshotExistsError(tenantId, seq);
      }
      const { unpackedBytes, files } = sealed.pack;
      const stored = { sha256: sealed.sha256, size: sealed.size, unpackedBytes, files, keyId };
      const manifest = layout.newManifest(tenantId, seq, stored, options.openclawVersion);
      const body = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
      if (!(await this.objects.putIfAbsent(layout.manifestKey(tenantId, seq), body, 'application/json'))) {
        throw new SnapshotExistsError(tenantId, seq);
      }
      return { manifest, dropped: sealed.pack.skipped };
    });
  }

  /** Every stored seq of the tenant, oldest first, from one listing (no object reads). */
  async list(tenantId: string): Promise<SnapshotListing[]> {
    const prefix = layout.snapshotsPrefix(tenantId);
    const bySeq = new Map<number, { complete: boolean; size: number | undefined }>();
    for (const { key, size } of await this.objects.listKeys(prefix)) {
      const parsed = layout.parseSnapshotKey(prefix, key);
      if (!parsed) continue;
      const entry = bySeq.get(parsed.seq) ?? { complete: false, size: undefined };
      if (parsed.kind === 'manifest') entry.complete = true;
      else entry.size = size;
      bySeq.set(parsed.seq, entry);
    }
    return [...bySeq].map(([seq, e]) => ({ seq, ...e })).sort((a, b) => a.seq - b.seq);
  }

  async readManifest(tenantId: string, seq: number): Promise<layout.SnapshotManifest> {
    const raw = await this.objects.getSmall(layout.manifestKey(tenantId, seq));
    if (!raw)
      throw new SnapshotCorruptError(tenantId, seq, 'manifest is missing (snapshot incomplete or deleted)');
    return layout.parseManifest(tenantId, seq, raw.toString('utf8'));
  }

  /**
   * Restore the newest usable snapshot into `targetDir`, replacing it whole.
   * A corrupt, tampered or hostile snapshot is skipped for the previous one and
   * reported in `skipped`; storage or local I/O failures are thrown, never
   * answered with older state.
   */
  async restoreLatest(
    tenantId: string,
    targetDir: string,
    options: { latestSeq?: number } = {},
  ): Promise<RestoreResult> {
    const { candidates, skipped } = restoreCandidates(await this.list(tenantId), options.latestSeq);
    for (const seq of candidates) {
      try {
        return { manifest: await this.restore(tenantId, seq, targetDir), skipped };
      } catch (err) {
        if (!isSnapshotDefect(err)) throw err;
        const { code, message } = err as ClawfleetError;
        skipped.push({ seq, code, reason: message });
        this.options.logger?.warn(
          { tenantId, seq, code, err },
          'snapshot unusable; falling back to the previous one',
        );
      }
    }
    if (skipped.length === 0) return { manifest: undefined, skipped };
    throw new NoRestorableSnapshotError(tenantId, skipped);
  }

  /** Restore exactly snapshot `seq` into `targetDir`; throws if it is unusable. */
  async restore(tenantId: string, seq: number, targetDir: string): Promise<layout.SnapshotManifest> {
    const manifest = await this.readManifest(tenantId, seq);
    const key = await this.keys.get(tenantId, manifest.keyId);
    await withSpool(this.options.spoolDir, async (spool) => {
      const path = join(spool, 'body');
      await downloadVerified(this.objects, manifest, path);
      await replaceDirectory(targetDir, (staging) =>
        openSealed(path, staging, {
          key,
          keyId: manifest.keyId,
          context: layout.snapshotContext(tenantId, seq),
          limits: this.limits,
        }).catch((err: unknown) => {
          throw asDecodeFailure(tenantId, seq, err);
        }),
      );
    });
    return manifest;
  }

  /**
   * Delete all but the newest `keep` complete snapshots (and abandoned partial
   * ones older than the newest complete). Never deletes the newest complete one,
   * nor anything above `latestSeq`. Returns the deleted seqs.
   */
  async prune(tenantId: string, keep: number, options: { latestSeq?: number } = {}): Promise<number[]> {
    if (!Number.isSafeInteger(keep) || keep < 1)
      throw new RangeError(`keep must be a positive integer, got ${keep}`);
    const doomed = pruneVictims(await this.list(tenantId), keep, options.latestSeq);
    // Manifests first: an interrupted prune leaves incomplete snapshots, never a manifest without its body.
    await this.objects.deleteKeys(
      doomed.filter((s) => s.complete).map((s) => layout.manifestKey(tenantId, s.seq)),
    );
    await this.objects.deleteKeys(
      doomed.filter((s) => s.size !== undefined).map((s) => layout.bodyKey(tenantId, s.seq)),
    );
    return doomed.map((s) => s.seq);
  }

  /** Delete every object of the tenant, data keys included (crypto-shredding). Returns how many. */
  async deleteAll(tenantId: string): Promise<number> {
    const keys = (await this.objects.listKeys(layout.tenantPrefix(tenantId))).map((k) => k.key);
    const manifests = keys.filter((k) => k.endsWith(layout.MANIFEST_SUFFIX));
    await this.objects.deleteKeys(manifests);
    await this.objects.deleteKeys(keys.filter((k) => !k.endsWith(layout.MANIFEST_SUFFIX)));
    this.keys.forget(tenantId);
    return keys.length;
  }

  /** Add a new data key for the tenant; later snapshots use it. Returns its id. */
  async rotateDataKey(tenantId: string): Promise<string> {
    return (await this.fullAccess().rotate(assertTenantId(tenantId))).keyId;
  }

  /** Every data key of the tenant, unwrapped, for its grant (snapshots/grant-issuer.ts). */
  async grantableKeys(tenantId: string): Promise<{ current: string; keys: Record<string, Buffer> }> {
    return this.fullAccess().all(assertTenantId(tenantId));
  }

  private fullAccess(): DataKeyStore {
    if (!this.dataKeys) throw new DataKeyError('*', '*', 'a granted store cannot create or hand out keys');
    return this.dataKeys;
  }
}
