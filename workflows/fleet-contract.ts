/**
 * The fleet upgrade contract: input, progress, messages and search attributes
 * of `fleetUpgradeWorkflow`, for the admin API, the CLI and the workflow
 * itself. Plain JSON only (everything here crosses Temporal).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { TenantTier } from './types.js';

export const FLEET_UPGRADE_WORKFLOW_TYPE = 'fleetUpgradeWorkflow';

/** One workflow per rollout, found by the rollout id. */
export function fleetUpgradeWorkflowId(rolloutId: string): string {
  return `fleet-upgrade-${rolloutId}`;
}

/** Where the rollout is (also a search attribute, so the Web UI lists rollouts by state). */
export const FLEET_UPGRADE_STATES = [
  'selecting',
  'installing',
  'applying',
  'observing',
  'paused',
  'rolling-back',
  'done',
  'rolled-back',
  'aborted',
] as const;
export type FleetUpgradeState = (typeof FLEET_UPGRADE_STATES)[number];

export const FleetUpgradeStateAttr = defineSearchAttributeKey(
  'FleetUpgradeState',
  SearchAttributeType.KEYWORD,
);
/** The wave under way, 1-based (0 before the first). */
export const FleetUpgradeWaveAttr = defineSearchAttributeKey('FleetUpgradeWave', SearchAttributeType.INT);

/** Which tenants move: one tier, a list of ids, or all. Pinned tenants are skipped in every case. */
export type FleetSelector =
  { readonly tier: TenantTier } | { readonly tenantIds: readonly string[] } | { readonly all: true };

/** When a wave counts as healthy; every field has a default (DEFAULT_HEALTH_GATE). */
export interface HealthGate {
  /** How long each wave is watched before the gate is judged. @default 600_000 (10 minutes) */
  readonly observeMs: number;
  /** Tenants of the wave that must have woken on the new version before it can pass. @default 1 */
  readonly minWakes: number;
  /** Failed launches on the new version the wave tolerates. @default 0 */
  readonly maxFailedWakes: number;
  /** Crash loops (tenants gone `failed`) the wave tolerates. @default 0 */
  readonly maxCrashLoops: number;
  /** The first delivery after a wake on the new version must be acknowledged. @default true */
  readonly firstDeliveryAcked: boolean;
  /**
   * Error share of the supervisor's delivery answers on the new version may
   * exceed the same tenants' share on their previous version by at most this
   * (0.05: five percentage points). @default 0.05
   */
  readonly maxErrorRateIncrease: number;
}

export const DEFAULT_HEALTH_GATE: HealthGate = {
  observeMs: 10 * 60_000,
  minWakes: 1,
  maxFailedWakes: 0,
  maxCrashLoops: 0,
  firstDeliveryAcked: true,
  maxErrorRateIncrease: 0.05,
};

/** Cumulative shares of the selected tenants, in percent: 1 % canary, then 10 %, 50 %, all. */
export const DEFAULT_WAVES: readonly number[] = [1, 10, 50, 100];

export interface FleetUpgradeInput {
  readonly rolloutId: string;
  readonly targetVersion: string;
  readonly selector: FleetSelector;
  /** Cumulative percentages, increasing, ending at 100. @default DEFAULT_WAVES */
  readonly waves?: readonly number[];
  readonly gate?: Partial<HealthGate>;
  /**
   * Ask awake tenants of a wave to sleep, so their next message wakes them on
   * the new version at once. Otherwise they move at their next sleep. Sleeping
   * tenants are never woken for an upgrade. @default false
   */
  readonly restartAwake?: boolean;
}

/** A tenant the rollout moves, with the version it had (what a rollback restores). */
export interface UpgradeTarget {
  readonly tenantId: string;
  readonly previousVersion: string;
}

/** The tenants a selector picked, in rollout order. */
export interface UpgradeSelection {
  readonly tenants: readonly UpgradeTarget[];
  /** Pinned (`tenant update --openclaw-version`): left alone and listed. */
  readonly pinned: readonly string[];
  /** Already on the target version. */
  readonly alreadyCurrent: number;
}

/** A wave's health as measured from its tenants' own records (see workflows/version-health.ts). */
export interface WaveHealth {
  readonly tenants: number;
  /** Tenants that woke at least once on the new version. */
  readonly woke: number;
  readonly failedWakes: number;
  readonly crashLoops: number;
  readonly crashes: number;
  /** Tenants whose first delivery on the new version was dropped. */
  readonly firstDeliveriesDropped: number;
  readonly delivered: number;
  readonly deliveryErrors: number;
  /** The same tenants on their previous version. */
  readonly baselineDelivered: number;
  readonly baselineDeliveryErrors: number;
  /** Tenants with a failure, as `tenant: what` (at most 20). */
  readonly failures: readonly string[];
}

export interface FleetUpgradeProgress {
  readonly rolloutId: string;
  readonly targetVersion: string;
  readonly state: FleetUpgradeState;
  /** 1-based wave under way (0 before the first). */
  readonly wave: number;
  readonly waves: number;
  readonly selected: number;
  readonly upgraded: number;
  readonly rolledBack: number;
  readonly alreadyCurrent: number;
  /** Pinned tenants left alone (listed, at most 1000; `pinnedCount` has them all). */
  readonly pinned: readonly string[];
  readonly pinnedCount: number;
  /** The last judged wave's health, and why the gate said what it said. */
  readonly lastHealth: WaveHealth | null;
  readonly verdict: readonly string[];
  /** Why the rollout is paused, aborted or rolled back. */
  readonly reason: string | null;
}

/** Holds the rollout before its next wave; the answer is the progress at that moment. */
export const pauseUpgradeUpdate = defineUpdate<FleetUpgradeProgress, [reason: string]>('pause');
/** Continues a paused rollout (a gate waiting for wakes measures again). */
export const resumeUpgradeUpdate = defineUpdate<FleetUpgradeProgress, []>('resume');
/** Stops the rollout for good; waves already applied keep the new version. */
export const abortUpgradeUpdate = defineUpdate<FleetUpgradeProgress, [reason: string]>('abort');
export const upgradeProgressQuery = defineQuery<FleetUpgradeProgress>('progress');
