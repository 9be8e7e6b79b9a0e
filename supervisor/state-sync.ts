/**
 * Moves a tenant's OpenClaw state between its state dir and the snapshot
 * store (snapshots/, encrypted in S3):
 * - restore: before the first start, newest usable snapshot into the state dir;
 * - live snapshot: SQLite online backups plus a file copy while the gateway
 *   runs (live-copy.ts), or `openclaw backup create` as the fallback, unpacked
 *   from its `payload/posix/<abs state dir>` layout; the store re-packs either
 *   (keeping only durable entries);
 * - stopped snapshot: a plain copy once the gateway has exited.
 * Live `.sqlite`/`-wal` files are never copied from a running gateway.
 */
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { DatabaseSync } from 'node:sqlite';
import { type Logger } from '../common/logger.js';
import { extractTar } from '../snapshots/extract.js';
import { type S3SnapshotStore } from '../snapshots/s3-snapshot-store.js';
import type { SnapshotManifest } from '../workflows/types.js';
import { OpenClawCliError } from './errors.js';
import { copyLiveState } from './live-copy.js';
import { type OpenClawCli } from './openclaw-cli.js';

export interface StateSyncOptions {
  readonly store: S3SnapshotStore;
  readonly tenantId: string;
  readonly stateDir: string;
  /** Scratch dir for backups (outside the state dir, never archived). */
  readonly workDir: string;
  readonly openclawVersion: string;
  /** The registry's latest seq: restore never goes past it, save goes above it. */
  readonly latestSeq?: number;
  readonly logger: Logger;
}

export interface RestoreOutcome {
  /** Restored seq, or null for a tenant without snapshots (fresh state dir). */
  readonly seq: number | null;
  /** Newer snapshots that were unusable and passed over: state was lost, alert on it. */
  readonly skipped: readonly { seq: number; code: string; reason: string }[];
}

export class StateSync {
  private lastSeq: number | undefined;

  constructor(private readonly options: StateSyncOptions) {
    this.lastSeq = options.latestSeq;
  }

  async restore(): Promise<RestoreOutcome> {
    const { store, tenantId, stateDir, logger } = this.options;
    const latestSeq = this.options.latestSeq || undefined;
    const result = await store.restoreLatest(tenantId, stateDir, latestSeq ? { latestSeq } : {});
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    if (result.skipped.length > 0) logger.error({ skipped: result.skipped }, 'newer snapshots were unusable');
    const seq = result.manifest?.seq ?? null;
    if (seq !== null) this.lastSeq = Math.max(this.lastSeq ?? 0, seq);
    logger.info({ seq }, seq === null ? 'no snapshot: starting fresh' : 'state restored');
    return { seq, skipped: result.skipped };
  }

  /**
   * Snapshot of a running gateway: SQLite online backups plus a file copy
   * (tens of milliseconds), falling back to OpenClaw's own backup command
   * when the copy fails. A failed upload is not a reason to fall back: the
   * backup would fail the same way, after seconds of CPU taken from the
   * tenant's turns (each retried periodic snapshot while s3rver was down).
   */
  async snapshotLive(cli: OpenClawCli): Promise<SnapshotManifest> {
    await mkdir(this.options.workDir, { recursive: true, mode: 0o700 });
    const scratch = await mkdtemp(join(this.options.workDir, 'live-'));
    try {
      try {
        await copyLiveState(this.options.stateDir, join(scratch, 'state'));
      } catch (err) {
        this.options.logger.warn({ err }, 'direct live copy failed; using openclaw backup create');
        return await this.snapshotWithCli(cli);
      }
      return await this.save(join(scratch, 'state'));
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** Snapshot of a running gateway through OpenClaw's own consistent backup. */
  async snapshotWithCli(cli: OpenClawCli): Promise<SnapshotManifest> {
    await mkdir(this.options.workDir, { recursive: true, mode: 0o700 });
    const scratch = await mkdtemp(join(this.options.workDir, 'backup-'));
    try {
      const backupDir = join(scratch, 'out');
      const unpacked = join(scratch, 'unpacked');
      await mkdir(backupDir);
      await mkdir(unpacked);
      const backup = await cli.backup(backupDir);
      await extractTar(createReadStream(backup.archivePath).pipe(createGunzip()), unpacked);
      return await this.save(await payloadStateDir(unpacked, this.options.stateDir));
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** Snapshot of a stopped gateway: its state dir is at rest, after folding any leftover WAL into the db. */
  async snapshotStopped(): Promise<SnapshotManifest> {
    await checkpointDatabases(this.options.stateDir, this.options.logger);
    return this.save(this.options.stateDir);
  }

  private async save(dir: string): Promise<SnapshotManifest> {
    const { store, tenantId, openclawVersion, logger } = this.options;
    const { manifest, dropped } = await store.save(tenantId, dir, {
      openclawVersion,
      ...(this.lastSeq ? { latestSeq: this.lastSeq } : {}),
    });
    this.lastSeq = manifest.seq;
    logger.info(
      { seq: manifest.seq, size: manifest.size, files: manifest.files, dropped: dropped.length },
      'snapshot saved',
    );
    const { seq, sha256, size, createdAt } = manifest;
    return { seq, sha256, size, createdAt, openclawVersion: manifest.openclawVersion };
  }
}

/**
 * `openclaw backup create` nests the state dir under
 * `<archiveRoot>/payload/posix/<absolute state dir>`; find it without trusting
 * archiveRoot's spelling (the archive was extracted safely, so any path is inside).
 */
async function payloadStateDir(unpacked: string, stateDir: string): Promise<string> {
  const roots = await readdir(unpacked);
  for (const root of roots) {
    const candidate = join(unpacked, root, 'payload', 'posix', stateDir);
    const entries = await readdir(candidate).catch(() => undefined);
    if (entries?.includes('openclaw.json') || entries?.includes('state')) return candidate;
  }
  throw new OpenClawCliError('backup create', `archive holds no payload for ${stateDir}`);
}

/**
 * A clean SIGTERM leaves the databases checkpointed, but a crash can leave a
 * `-wal` holding committed transactions; the packer skips `-wal` files, so fold
 * them in first. Opening the database replays the WAL; TRUNCATE empties it.
 */
async function checkpointDatabases(stateDir: string, logger: Logger): Promise<void> {
  const walFiles = await findFiles(stateDir, (name) => name.endsWith('.sqlite-wal'));
  for (const wal of walFiles) {
    const path = wal.slice(0, -'-wal'.length);
    try {
      const db = new DatabaseSync(path);
      try {
        db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      } finally {
        db.close();
      }
    } catch (err) {
      logger.warn({ err, path }, 'could not checkpoint a database before the snapshot');
    }
  }
}

async function findFiles(dir: string, match: (name: string) => boolean): Promise<string[]> {
  const found: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await findFiles(path, match)));
    else if (entry.isFile() && match(entry.name)) found.push(path);
  }
  return found;
}
