/** What the tenant activities take: a tenant, a tenant's pod, a launch. Plain JSON, never secrets. */
import type { PodHandle, TenantTier } from '../workflows/types.js';

export interface TenantRef {
  readonly tenantId: string;
}
export interface PodRef extends TenantRef {
  readonly pod: PodHandle;
}
export interface LaunchInput extends TenantRef {
  readonly podId: string;
  readonly tier: TenantTier;
  readonly openclawVersion: string;
  /** The workflow's last recorded snapshot; the registry pointer wins if it is newer. */
  readonly snapshotSeq: number | null;
}
