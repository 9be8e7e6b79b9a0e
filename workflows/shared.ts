/**
 * The tenant workflow contract: the one file the router, CLI and billing
 * integrations import from the Temporal side. Only types, names and message
 * definitions live here (no activity code, no Node built-ins).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { FleetUpgradeStateAttr, FleetUpgradeWaveAttr } from './fleet-contract.js';
import type { TenantStateData } from './tenant-state-data.js';
import type {
  ConfigurePatch,
  Envelope,
  OffboardPlan,
  OffboardRequest,
  PodHandle,
  SnapshotRestore,
  TenantDescription,
  TenantPhase,
  TenantSettings,
  WebhookSync,
} from './types.js';

/** Default task queue of tenant workflows and their activities (overridable by CLAWFLEET_TASK_QUEUE). */
export const DEFAULT_TASK_QUEUE = 'clawfleet-tenants';

/** One workflow per tenant, found by id without any lookup. */
export function tenantWorkflowId(tenantId: string): string {
  return `tenant-${tenantId}`;
}

export const TenantIdAttr = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const TenantPhaseAttr = defineSearchAttributeKey('TenantPhase', SearchAttributeType.KEYWORD);
export const TenantTierAttr = defineSearchAttributeKey('TenantTier', SearchAttributeType.KEYWORD);
export const OpenClawVersionAttr = defineSearchAttributeKey('OpenClawVersion', SearchAttributeType.KEYWORD);
export const LastActiveAtAttr = defineSearchAttributeKey('LastActiveAt', SearchAttributeType.DATETIME);

/** Every custom search attribute; the dev stack and test servers register exactly these. */
export const SEARCH_ATTRIBUTES = [
  TenantIdAttr,
  TenantPhaseAttr,
  TenantTierAttr,
  OpenClawVersionAttr,
  LastActiveAtAttr,
  FleetUpgradeStateAttr,
  FleetUpgradeWaveAttr,
] as const;

export type * from './types.js';
export { TENANT_PHASES, TENANT_TIERS } from './types.js';

/** The one workflow type of a tenant (also its registered name). */
export const TENANT_WORKFLOW_TYPE = 'tenantWorkflow';

/** Start input; `carried` is set only by continue-as-new and holds the whole state as plain JSON. */
export interface TenantWorkflowInput {
  readonly tenantId: string;
  /** Settings for a fresh tenant; missing ones take `DEFAULT_SETTINGS`. Ignored when `carried` is set. */
  readonly settings?: Partial<TenantSettings>;
  readonly carried?: TenantStateData;
}

export const DEFAULT_SETTINGS: TenantSettings = {
  tier: 'standard',
  openclawVersion: '2026.9.6',
  idleTimeoutMs: 15 * 60_000,
  snapshotIntervalMs: 5 * 60_000,
  scheduledWakeLeadMs: 60_000,
  // The first relaunch after a crash follows at once (a quarter second), the next after half a second;
  // a third crash in the window is a loop. Seconds here delay every message queued behind the crash.
  crashLoop: { maxCrashes: 3, windowMs: 10 * 60_000, backoffMs: 250 },
  buffer: { maxMessages: 100, maxBytes: 4 * 1024 * 1024 },
};

/** Bounds `configure` enforces (and the client checks before sending). */
export const LIMITS = {
  idleTimeoutMs: { min: 60_000, max: 7 * 24 * 3_600_000 },
  snapshotIntervalMs: { min: 60_000, max: 24 * 3_600_000 },
  graceDays: { min: 0, max: 365 },
  reasonLength: 500,
} as const;

/** OpenClaw release versions look like `2026.1.29` (optionally `-beta.1`). */
export const OPENCLAW_VERSION_PATTERN = /^\d{4}\.\d{1,2}\.\d{1,2}(?:-[0-9A-Za-z.]+)?$/;

/** Error type of activity failures that retrying cannot fix (thrown as non-retryable ApplicationFailure). */
export const PERMANENT_ERROR_TYPE = 'ClawfleetPermanentError';
/** Error type of a launch refused because the host is full: the workflow makes room and launches again. */
export const AT_CAPACITY_ERROR_TYPE = 'RuntimeAtCapacity';
/** Error type of update rejections (validators and handlers). */
export const REJECTED_ERROR_TYPE = 'TenantOperationRejected';

/** An inbound message; buffered and delivered in order once the agent is ready. */
export const deliverSignal = defineSignal<[Envelope]>('deliver');
/** Hot-path activity seen by the router (debounced there): moves the lazy idle deadline. */
export const touchSignal = defineSignal<[]>('touch');
/**
 * How firmly a sleep is asked for. `if-idle`: another tenant's capacity
 * eviction, declined while a turn runs or a job is due (the waker asks
 * another). `after-turn`: an operator's or a rollout's sleep, which waits for
 * the running turn to end instead of cutting it off. `now`: drain at once,
 * even mid-turn (OpenClaw's drain and the live snapshot keep the turn; it
 * answers at the next wake). Without a mode a sleep is `after-turn`
 * (histories from before the modes read it as `if-idle`).
 */
export type SleepMode = 'if-idle' | 'after-turn' | 'now';
export const SLEEP_MODES: readonly SleepMode[] = ['if-idle', 'after-turn', 'now'];
/**
 * Drain (snapshot, stop) instead of waiting for the idle deadline; the reason
 * (e.g. which tenant needed the place) shows in describe and the Web UI.
 */
export const sleepNowSignal = defineSignal<[reason?: string, mode?: SleepMode]>('sleepNow');
/** A quota refused the tenant (model gateway, router); shown in describe and the Web UI at once. */
export interface QuotaHitNotice {
  readonly kind: string;
  readonly limit: number;
  readonly at: string;
}
export const quotaHitSignal = defineSignal<[QuotaHitNotice]>('quotaHit');
/** The one wording of a quota hit in describe, the Web UI and `clawfleet tenant get`'s phase details. */
export function quotaHitLine(hit: QuotaHitNotice & { hits?: number }): string {
  const count = hit.hits === undefined ? '' : `, ${hit.hits}× today`;
  return `${hit.kind} (limit ${hit.limit}), last at ${hit.at}${count}`;
}
/** The runtime watcher saw the pod die; stale pod ids are ignored. */
export const podLostSignal = defineSignal<[podId: string, reason: string]>('podLost');
/**
 * The runtime released the pod's disk reserve: the agent's files filled its
 * disk, and OpenClaw keeps answering on the reserve (local/sandbox/disk-reserve.ts).
 * Shown as the reason, `disk full: <detail>`; a null detail (the reserve is
 * held again) clears that reason. Stale pod ids are ignored.
 */
export const diskFullSignal = defineSignal<[podId: string, detail: string | null]>('diskFull');
export const DISK_FULL_REASON = 'disk full';
/**
 * `podLost` pod id meaning "whatever pod you have": sent by a runtime that
 * restarted and lost track of its pods (the local runtime after a worker crash).
 */
export const ANY_POD = '*';

/** Returns the pod once the agent is ready (update-with-start wakes a sleeping or new tenant). */
export const wakeUpdate = defineUpdate<PodHandle, []>('wake');
/** Drains (final snapshot) then holds the tenant until `resume`. */
export const suspendUpdate = defineUpdate<TenantPhase, [reason: string]>('suspend');
/** Leaves `suspended` or `failed` (or cancels a pending offboard) and returns to `asleep`. */
export const resumeUpdate = defineUpdate<TenantPhase, []>('resume');
/** Changes settings; a new OpenClaw version applies at the next wake. Returns the new settings. */
export const configureUpdate = defineUpdate<TenantSettings, [ConfigurePatch]>('configure');
/** Dry run: what would be deleted. Real: drain, wait the grace period, delete everything. */
export const offboardUpdate = defineUpdate<OffboardPlan, [OffboardRequest]>('offboard');

/**
 * Operator restore: snapshot `seq` is saved again as the newest and recorded
 * (nothing is rewound or deleted). Only while no pod holds the state.
 */
export const restoreSnapshotUpdate = defineUpdate<SnapshotRestore, [seq: number]>('restoreSnapshot');

export const describeQuery = defineQuery<TenantDescription>('describe');

/** The short workflow that registers a tenant's Telegram webhook from the control plane (one per tenant at a time). */
export const TELEGRAM_WEBHOOK_WORKFLOW_TYPE = 'telegramWebhookWorkflow';

export function telegramWebhookWorkflowId(tenantId: string): string {
  return `telegram-webhook-${tenantId}`;
}

/**
 * The bot token or webhook secret changed: register again. Sent with
 * update-with-start; returns once a registration that started after the
 * request has finished, so the answer always reflects the newest token and
 * secret.
 */
export const registerWebhookUpdate = defineUpdate<WebhookSync, []>('registerWebhook');
