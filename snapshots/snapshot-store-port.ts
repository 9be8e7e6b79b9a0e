/**
 * The workflow's view of the snapshot store (activities/ports.ts
 * `SnapshotStore`): manifests only, never bodies or keys. Saving and
 * restoring happen inside the tenant's supervisor, which holds the data.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PermanentPortError } from '../activities/errors.js';
import type { SnapshotManifest, SnapshotStore } from '../activities/ports.js';
import type { S3SnapshotStore } from './s3-snapshot-store.js';

export class SnapshotStorePort implements SnapshotStore {
  constructor(private readonly store: S3SnapshotStore) {}

  async list(tenantId: string): Promise<SnapshotManifest[]> {
    const complete = (await this.store.list(tenantId)).filter((entry) => entry.complete);
    return Promise.all(complete.map((entry) => this.manifest(tenantId, entry.seq)));
  }

  async latest(tenantId: string): Promise<SnapshotManifest | null> {
    const complete = (await this.store.list(tenantId)).filter((entry) => entry.complete);
    const newest = complete.at(-1);
    return newest ? this.manifest(tenantId, newest.seq) : null;
  }

  prune(tenantId: string, keep: number, latestSeq: number): Promise<number[]> {
    return this.store.prune(tenantId, keep, { latestSeq });
  }

  /** Restores into a private temp dir (the worker's own disk, never a tenant's) and saves that as the newest. */
  async copyAsNewest(tenantId: string, seq: number, latestSeq: number | null): Promise<SnapshotManifest> {
    const listing = await this.store.list(tenantId);
    if (!listing.some((s) => s.seq === seq && s.complete))
      throw new PermanentPortError(
        'SNAPSHOT_NOT_FOUND',
        `tenant ${tenantId} has no complete snapshot ${seq}`,
      );
    const work = await mkdtemp(join(tmpdir(), 'clawfleet-restore-'));
    try {
      const source = await this.store.restore(tenantId, seq, join(work, 'state'));
      const saved = await this.store.save(tenantId, join(work, 'state'), {
        openclawVersion: source.openclawVersion,
        ...(latestSeq !== null && { latestSeq }),
      });
      return this.manifest(tenantId, saved.manifest.seq);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  async deleteAll(tenantId: string): Promise<void> {
    await this.store.deleteAll(tenantId);
  }

  private async manifest(tenantId: string, seq: number): Promise<SnapshotManifest> {
    const { sha256, size, createdAt, openclawVersion } = await this.store.readManifest(tenantId, seq);
    return { seq, sha256, size, createdAt, openclawVersion };
  }
}
