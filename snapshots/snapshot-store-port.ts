/**
 * The workflow's view of the snapshot store (activities/ports.ts
 * `SnapshotStore`): manifests only, never bodies or keys. Saving and
 * restoring happen inside the tenant's supervisor, which holds the data.
 */
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

  async deleteAll(tenantId: string): Promise<void> {
    await this.store.deleteAll(tenantId);
  }

  private async manifest(tenantId: string, seq: number): Promise<SnapshotManifest> {
    const { sha256, size, createdAt, openclawVersion } = await this.store.readManifest(tenantId, seq);
    return { seq, sha256, size, createdAt, openclawVersion };
  }
}
