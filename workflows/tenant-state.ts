/**
 * Tenant state and its transitions, as plain data plus small methods. No
 * Temporal calls here: the workflow drives activities and timers, this class
 * decides. Everything in `TenantStateData` is plain JSON so it survives
 * continue-as-new unchanged.
 */
import type {
  Envelope,
  PodHandle,
  RegistryStatus,
  SnapshotManifest,
  TenantDescription,
  TenantPhase,
  TenantSettings,
} from './types.js';
import {
  healthOf,
  noteCrash,
  noteDelivered,
  noteDeliveryError,
  type VersionHealthRecord,
} from './version-health.js';
import type { SleepMode } from './shared.js';

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

const RECENT_IDS = 200;
/** Delivery rounds (each a few activity attempts) before a message is dropped as poison. */
export const MAX_DELIVERY_ROUNDS = 3;

/** UTF-8 length without TextEncoder, so the buffer bound matches what the agent receives. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/**
 * An agent must not be put to sleep while it runs something, or when its next
 * scheduled job is due within `leadMs`: asleep, it would be woken for that
 * job at once (or too late for it). The idle deadline and the host-full
 * eviction (activities/sleep-candidate.ts) both decide by this.
 */
export function agentBusy(
  inFlightRuns: number,
  nextScheduledAtMs: number | null,
  nowMs: number,
  leadMs: number,
): boolean {
  if (inFlightRuns > 0) return true;
  return nextScheduledAtMs !== null && nextScheduledAtMs - nowMs <= leadMs;
}

/** A sleep request's firmness (shared.ts, SleepMode): a capacity eviction only if idle, then after the turn, then now. */
const SLEEP_FIRMNESS: Record<SleepMode, number> = { 'if-idle': 1, 'after-turn': 2, now: 3 };

export type AcceptResult = 'buffered' | 'duplicate' | 'overflow' | 'refused' | 'invalid';

/** Signals cannot be rejected, so a malformed envelope is checked here and ignored. */
function isEnvelope(value: unknown): value is Envelope {
  const e = value as Partial<Envelope> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.body === 'string' &&
    typeof e.dedupeId === 'string' &&
    e.dedupeId !== ''
  );
}

export class TenantState {
  constructor(readonly data: TenantStateData) {}

  static fresh(tenantId: string, settings: TenantSettings, nowMs: number): TenantState {
    return new TenantState({
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
    });
  }

  get phase(): TenantPhase {
    return this.data.phase;
  }

  /**
   * The registry status the phase calls for (a requested suspension counts
   * already: it is refused traffic while it drains); null once deleted.
   */
  wantedRegistryStatus(): RegistryStatus | null {
    const phase = this.data.phase;
    if (phase === 'suspended' || phase === 'failed' || phase === 'offboarding') return phase;
    if (phase === 'deleted') return null;
    return this.data.requests.suspend !== null ? 'suspended' : 'active';
  }

  /** Buffer an inbound message unless it is a duplicate, the buffer is full, or the tenant refuses messages. */
  accept(envelope: Envelope): AcceptResult {
    const d = this.data;
    if (!isEnvelope(envelope)) return 'invalid';
    if (d.phase === 'suspended' || d.phase === 'offboarding' || d.phase === 'deleted') return 'refused';
    if (d.recentDedupeIds.includes(envelope.dedupeId)) return 'duplicate';
    const bytes = utf8Length(envelope.body);
    const { maxMessages, maxBytes } = d.settings.buffer;
    if (d.buffer.length >= maxMessages || d.bufferedBytes + bytes > maxBytes) {
      d.overflowCount += 1;
      return 'overflow';
    }
    d.buffer.push(envelope);
    d.bufferedBytes += bytes;
    d.recentDedupeIds.push(envelope.dedupeId);
    if (d.recentDedupeIds.length > RECENT_IDS)
      d.recentDedupeIds.splice(0, d.recentDedupeIds.length - RECENT_IDS);
    return 'buffered';
  }

  /** The agent acknowledged the oldest buffered message. */
  delivered(nowMs: number): void {
    if (!this.shift()) return;
    this.data.deliveredCount += 1;
    noteDelivered(this.data);
    this.data.lastActiveAtMs = Math.max(this.data.lastActiveAtMs, nowMs);
  }

  /** A delivery round of the head failed; returns true when it was dropped as poison. */
  deliveryFailed(): boolean {
    this.data.headFailures += 1;
    const dropped = this.data.headFailures >= MAX_DELIVERY_ROUNDS;
    noteDeliveryError(this.data, dropped);
    if (!dropped) return false;
    this.shift();
    this.data.droppedCount += 1;
    return true;
  }

  private shift(): Envelope | undefined {
    const d = this.data;
    const head = d.buffer.shift();
    if (head) d.bufferedBytes -= utf8Length(head.body);
    d.headFailures = 0;
    return head;
  }

  touch(nowMs: number): void {
    this.data.lastActiveAtMs = Math.max(this.data.lastActiveAtMs, nowMs);
  }

  idleDeadlineMs(): number {
    return this.data.lastActiveAtMs + this.data.settings.idleTimeoutMs;
  }

  /** Something wants the agent up: a buffered message or a pending `wake`. */
  hasWakeReason(): boolean {
    return this.data.buffer.length > 0 || this.data.requests.wake;
  }

  /** A request that ends the running phase. */
  /**
   * Records a sleep request; a firmer one wins over a softer one already
   * pending (the quota's rest stays unconditional, an eviction does not soften
   * an operator's sleep).
   */
  requestSleep(kind: SleepMode): void {
    const r = this.data.requests;
    const current = !r.sleep ? 0 : r.sleepIfIdle === true ? 1 : r.sleepAfterTurn === true ? 2 : 3;
    const next = Math.max(current, SLEEP_FIRMNESS[kind]);
    r.sleep = true;
    r.sleepIfIdle = next === 1;
    if (next === 2 && current !== 2) delete r.sleepAfterTurnSinceMs; // a new wait
    r.sleepAfterTurn = next === 2;
  }

  hasDrainReason(): boolean {
    const r = this.data.requests;
    return r.sleep || r.suspend !== null || r.offboard !== null || this.data.lostReason !== null;
  }

  /** Time of the scheduled wake while asleep: shortly before the agent's next job. */
  scheduledWakeAtMs(): number | null {
    const next = this.data.nextScheduledAtMs;
    return next === null ? null : next - this.data.settings.scheduledWakeLeadMs;
  }

  /** Busy means runs in flight, or a scheduled job due before a sleeping tenant could wake for it. */
  isBusy(inFlightRuns: number, nextScheduledAtMs: number | null, nowMs: number): boolean {
    return agentBusy(inFlightRuns, nextScheduledAtMs, nowMs, this.data.settings.scheduledWakeLeadMs);
  }

  /** Next pod id; a new generation per launch keeps relaunches apart and retries idempotent. */
  nextPodId(): string {
    this.data.generation += 1;
    return `${this.data.tenantId}-${this.data.generation}`;
  }

  /** Count a crash; returns the relaunch delay, or null when the crash loop limit is reached. */
  recordCrash(nowMs: number): number | null {
    const d = this.data;
    const { maxCrashes, windowMs, backoffMs } = d.settings.crashLoop;
    d.crashTimesMs = [...d.crashTimesMs.filter((t) => nowMs - t < windowMs), nowMs];
    const loop = d.crashTimesMs.length >= maxCrashes;
    noteCrash(d, loop);
    if (loop) return null;
    d.restartCount += 1;
    return backoffMs * 2 ** (d.crashTimesMs.length - 1);
  }

  /** A launch on `version` ended: up (`ok`) or failed. */
  recordLaunch(version: string, ok: boolean): void {
    healthOf(this.data, version)[ok ? 'wakes' : 'failedWakes'] += 1;
  }

  recordSnapshot(manifest: SnapshotManifest): void {
    const last = this.data.lastSnapshot;
    if (last === null || manifest.seq > last.seq) this.data.lastSnapshot = manifest;
  }

  describe(): TenantDescription {
    const d = this.data;
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      tenantId: d.tenantId,
      phase: d.phase,
      settings: d.settings,
      pod: d.pod,
      generation: d.generation,
      lastActiveAt: new Date(d.lastActiveAtMs).toISOString(),
      lastSnapshot: d.lastSnapshot,
      bufferedMessages: d.buffer.length,
      bufferedBytes: d.bufferedBytes,
      overflowCount: d.overflowCount,
      deliveredCount: d.deliveredCount,
      droppedCount: d.droppedCount,
      nextScheduledAt: iso(d.nextScheduledAtMs),
      restartCount: d.restartCount,
      recentCrashes: d.crashTimesMs.length,
      reason: d.reason,
      deleteAfter: iso(d.deleteAfterMs),
      versionHealth: d.versionHealth ?? null,
    };
  }

  /** Markdown for the Web UI's "Current Details". */
  details(): string {
    const d = this.describe();
    const lines = [
      `**Tenant** \`${d.tenantId}\` · **phase** \`${d.phase}\` · tier ${d.settings.tier} · OpenClaw ${d.settings.openclawVersion}`,
      `- pod: ${d.pod ? `\`${d.pod.podId}\` at ${d.pod.endpoint}` : 'none'}`,
      ...(d.pod?.isolation ? [`- isolation: ${d.pod.isolation}`] : []),
      `- last snapshot: ${d.lastSnapshot ? `#${d.lastSnapshot.seq} (${d.lastSnapshot.createdAt})` : 'none'}`,
      `- buffered: ${d.bufferedMessages} messages, ${d.bufferedBytes} bytes; overflow ${d.overflowCount}; delivered ${d.deliveredCount}; dropped ${d.droppedCount}`,
      `- next scheduled wake: ${d.nextScheduledAt ?? 'none'}`,
      `- restarts: ${d.restartCount} (${d.recentCrashes} recent crashes)`,
    ];
    if (d.phase === 'paused' && this.data.pausedAtMs != null)
      lines.push(
        `- paused (frozen in memory) since ${new Date(this.data.pausedAtMs).toISOString()}; deep sleep at ${new Date(this.data.deepSleepAtMs ?? this.data.pausedAtMs).toISOString()}`,
      );
    if (d.reason) lines.push(`- reason: ${d.reason}`);
    if (this.data.quotaHit) lines.push(`- quota hit today: ${this.data.quotaHit}`);
    if (d.deleteAfter) lines.push(`- data deleted after: ${d.deleteAfter}`);
    return lines.join('\n');
  }
}
