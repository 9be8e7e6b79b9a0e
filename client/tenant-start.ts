/**
 * How a tenant workflow is started when a call finds none (signal-with-start,
 * update-with-start, or a plain start), and how the caller's settings become
 * the workflow's: durations as strings like '15m' here, milliseconds inside.
 */
import { msToNumber, type Duration } from '@temporalio/common';
import {
  TenantIdAttr,
  TenantPhaseAttr,
  tenantWorkflowId,
  type ConfigurePatch,
  type TenantTier,
  type TenantWorkflowInput,
} from '../workflows/shared.js';

/** Settings of a tenant that does not exist yet; ignored when its workflow is already running. */
export interface TenantStartOptions {
  /** @default 'standard' */
  readonly tier?: TenantTier;
  readonly openclawVersion?: string;
  /** @default '15m' */
  readonly idleTimeout?: Duration;
  /** @default '5m' */
  readonly snapshotInterval?: Duration;
}

export interface TenantConfigureOptions {
  readonly tier?: TenantTier;
  readonly openclawVersion?: string;
  readonly idleTimeout?: Duration;
  readonly snapshotInterval?: Duration;
}

/** The settings a caller named, in the workflow's units; the others are left out (the workflow's defaults stand). */
export function settingsPatch(options: TenantConfigureOptions): ConfigurePatch {
  return {
    ...(options.tier !== undefined && { tier: options.tier }),
    ...(options.openclawVersion !== undefined && { openclawVersion: options.openclawVersion }),
    ...(options.idleTimeout !== undefined && { idleTimeoutMs: msToNumber(options.idleTimeout) }),
    ...(options.snapshotInterval !== undefined && {
      snapshotIntervalMs: msToNumber(options.snapshotInterval),
    }),
  };
}

/** The start options of tenant `tenantId`'s workflow (its id is checked by the caller). */
export function tenantStartOptions(taskQueue: string, tenantId: string, options: TenantStartOptions) {
  const input: TenantWorkflowInput = { tenantId, settings: settingsPatch(options) };
  return {
    taskQueue,
    workflowId: tenantWorkflowId(tenantId),
    args: [input] as [TenantWorkflowInput],
    // A completed run means the tenant was offboarded: never resurrect it from a stray webhook.
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY' as const,
    staticSummary: `Tenant ${tenantId}`,
    typedSearchAttributes: [
      { key: TenantIdAttr, value: tenantId },
      { key: TenantPhaseAttr, value: 'asleep' },
    ],
  };
}
