/**
 * The tenant workflow's state as plain data: everything here is plain JSON,
 * so it survives continue-as-new unchanged (fields added later are optional,
 * absent in state carried from before them). TenantState (tenant-state.ts)
 * holds the transitions.
 */
import type {
  Envelope,
  PodHandle,
  RegistryStatus,
  SnapshotManifest,
  TenantPhase,
  TenantSettings,
} from './types.js';
import type { VersionHealthRecord } from './version-health.js';

/** Requests from handlers the main loop has not acted on yet. */
export interface PendingRequests {
  wake: boolean;
  sleep: boolean;
  /**
   * The sleep request is another tenant's capacity eviction: honoured only while
   * idle (absent in older histories and continued states: read as false).
   */
  sleepIfIdle?: boolean;
  /** The sleep request waits for the running turn to end (an operator's sleep); absent in older histories. */
  sleepAfterTurn?: boolean;
  /** When that wait first found a turn running (workflow time); it ends at AFTER_TURN_MAX_WAIT_MS. */
  sleepAfterTurnSinceMs?: number;
  suspend: string | null;
  offboard: { graceDays: number } | null;
  resume: boolean;
}

export interface TenantStateData {
  tenantId: string;
  phase: TenantPhase;
  settings: TenantSettings;
  /** Pod generation: pod ids are `<tenantId>-<generation>`, so a retried launch adopts. */
  generation: number;
  pod: PodHandle | null;
  lastActiveAtMs: number;
  wokeAtMs: number | null;
  lastSnapshot: SnapshotManifest | null;
  buffer: Envelope[];
  bufferedBytes: number;
  overflowCount: number;
  deliveredCount: number;
  /** Messages dropped after `MAX_DELIVERY_ROUNDS` failed delivery rounds. */
  droppedCount: number;
  /** Failed delivery rounds of the buffer's head. */
  headFailures: number;
  /** `deliveredCount` when the current pod woke (for usage records). */
  wokeDelivered: number;
  /** Dedupe ids recently buffered or delivered (bounded), so a redelivered signal is not buffered twice. */
  recentDedupeIds: string[];
  nextScheduledAtMs: number | null;
  restartCount: number;
  crashTimesMs: number[];
  /** Why the tenant is suspended or failed, or the last drain problem. */
  reason: string | null;
  deleteAfterMs: number | null;
  /** A `podLost` for the current pod that the loop has not handled yet. */
  lostReason: string | null;
  requests: PendingRequests;
  /** When today's `activeSecondsPerDay` runs out for the current pod (null or absent: no limit known). */
  activeDeadlineMs?: number | null;
  /** The quota that last refused the tenant today (gateway, router), as the last usage report read it. */
  quotaHit?: string | null;
  /** Asleep for the active-seconds quota until then (the next 00:00 UTC); messages wait in the buffer. */
  restUntilMs?: number | null;
  /** The registry status this workflow last wrote (absent in state carried from before it wrote any). */
  registryStatus?: RegistryStatus | null;
  /** When the paused pod froze, and when it sleeps fully unless something resumes it first (paused phase only). */
  pausedAtMs?: number | null;
  deepSleepAtMs?: number | null;
  /** The tier and OpenClaw version the paused pod runs (a configure while paused makes the next wake cold). */
  pausedAs?: string | null;
  /** Per-version health for the fleet upgrade gate (absent in state carried from before it was kept). */
  versionHealth?: VersionHealthRecord | null;
}

/** A tenant never woken: asleep, nothing buffered, active in the registry. */
export function freshStateData(tenantId: string, settings: TenantSettings, nowMs: number): TenantStateData {
  return {
    tenantId,
    phase: 'asleep',
    settings,
    generation: 0,
    pod: null,
    lastActiveAtMs: nowMs,
    wokeAtMs: null,
    lastSnapshot: null,
    buffer: [],
    bufferedBytes: 0,
    overflowCount: 0,
    deliveredCount: 0,
    droppedCount: 0,
    headFailures: 0,
    wokeDelivered: 0,
    recentDedupeIds: [],
    nextScheduledAtMs: null,
    restartCount: 0,
    crashTimesMs: [],
    reason: null,
    deleteAfterMs: null,
    lostReason: null,
    requests: { wake: false, sleep: false, suspend: null, offboard: null, resume: false },
    registryStatus: 'active', // the admin API creates the record active
  };
}
