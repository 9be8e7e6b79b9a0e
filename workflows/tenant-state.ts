/**
 * Tenant state and its transitions, as plain data plus small methods. No
 * Temporal calls here: the workflow drives activities and timers, this class
 * decides. The data itself (tenant-state-data.ts) is plain JSON so it
 * survives continue-as-new unchanged.
 */
import type {
  Envelope,
  RegistryStatus,
  SnapshotManifest,
  TenantDescription,
  TenantPhase,
  TenantSettings,
} from './types.js';
import { healthOf, noteCrash, noteDelivered, noteDeliveryError } from './version-health.js';
import type { SleepMode } from './shared.js';
import { freshStateData, type TenantStateData } from './tenant-state-data.js';
import { describeTenant, tenantDetails } from './tenant-description.js';

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
    return new TenantState(freshStateData(tenantId, settings, nowMs));
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
    return describeTenant(this.data);
  }

  /** Markdown for the Web UI's "Current Details". */
  details(): string {
    return tenantDetails(this.data);
  }
}
