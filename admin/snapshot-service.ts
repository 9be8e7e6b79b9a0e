/**
 * Snapshot listing and restore for operators. Restore never rewinds
 * anything: the registry pointer only moves forward and newer snapshots are
 * never deleted or overwritten, so "restore seq 3" re-saves snapshot 3's
 * content as a new newest snapshot (say 8) and advances the pointer to it.
 * The next wake starts from 8; 4..7 stay available to restore in turn.
 * The tenant must not be running, or its next snapshot would bury the restore.
 * The restore runs as the tenant workflow's `restoreSnapshot` update, so the
 * pointer keeps one writer (the workflow's activities) and no wake can start
 * from the older state while it runs.
 */
import type { AdminDeps } from './deps.js';
import { AdminError } from './errors.js';
import type { TenantService } from './tenant-service.js';

/** Phases in which no pod holds the tenant's state. */
const RESTORABLE_PHASES = new Set(['asleep', 'suspended', 'failed']);

export class SnapshotService {
  constructor(
    private readonly deps: AdminDeps,
    private readonly tenants: TenantService,
  ) {}

  async list(tenantId: string) {
    const record = await this.tenants.require(tenantId);
    const listing = await this.deps.snapshots.list(tenantId);
    const snapshots = await Promise.all(
      listing
        .filter((s) => s.complete)
        .map(async ({ seq }) => {
          const m = await this.deps.snapshots.readManifest(tenantId, seq);
          return {
            seq,
            size: m.size,
            files: m.files,
            createdAt: m.createdAt,
            openclawVersion: m.openclawVersion,
          };
        }),
    );
    return { tenantId, latestSnapshotSeq: record.latestSnapshotSeq, snapshots: snapshots.reverse() };
  }

  /** Through the tenant workflow, the one writer of the pointer; it refuses unless no pod holds the state. */
  async restore(tenantId: string, seq: number) {
    await this.tenants.require(tenantId);
    const listing = await this.deps.snapshots.list(tenantId);
    if (!listing.some((s) => s.seq === seq && s.complete)) {
      throw new AdminError(404, 'SNAPSHOT_NOT_FOUND', `tenant ${tenantId} has no complete snapshot ${seq}`);
    }
    const phase = await this.tenants.phase(tenantId);
    if (phase !== null && !RESTORABLE_PHASES.has(phase)) {
      throw new AdminError(
        409,
        'TENANT_NOT_ASLEEP',
        `tenant ${tenantId} is ${phase}; put it to sleep (POST /v1/tenants/${tenantId}/sleep) or suspend it first`,
      );
    }
    const { restoredFrom, newSeq, phase: after } = await this.deps.tenants.restoreSnapshot(tenantId, seq);
    return { tenantId, restoredFrom, newSeq, phase: after };
  }
}
