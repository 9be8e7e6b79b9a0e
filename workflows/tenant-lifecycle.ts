/**
 * The running phases of the tenant lifecycle (`running`, `draining`), on top
 * of the steps on the pod and the crash path (pod-steps.ts), the phases that
 * bring a pod up (wake-phases.ts) and the operator-held ones (phase-base.ts).
 * Each method runs until the phase changes and returns; the workflow loop in
 * tenant-workflow.ts picks the next one. Decisions live in TenantState, side
 * effects in activities.
 */
import { condition, patched } from '@temporalio/workflow';
import type { AgentActivity } from './types.js';
import { deliver, resumeLocally, step, store } from './activity-proxies.js';
import { describeFailure, parseTime } from './failures.js';
import { recycleReason } from './memory-recycle.js';
import { PodSteps } from './pod-steps.js';
import { QUOTA_REST } from './wake-phases.js';

/** Histories recorded before usage was reported while running replay without that activity. */
const USAGE_WHILE_RUNNING_PATCH = 'usage-while-running';
/** Histories recorded before a capacity eviction waited for an idle agent drain at once. */
const EVICT_ONLY_IF_IDLE_PATCH = 'evict-only-if-idle';

/** How long a failing delivery or snapshot waits before the next try. */
const RETRY_LATER_MS = 30_000;

/** How often a sleep that waits for the running turn looks at the agent again. */
const AFTER_TURN_RECHECK_MS = 5_000;
/** How long it waits at most; then it drains anyway (OpenClaw's drain and the live snapshot keep the turn). */
const AFTER_TURN_MAX_WAIT_MS = 10 * 60_000;

export abstract class TenantLifecycle extends PodSteps {
  private retryAtMs = 0;
  /** When a sleep waiting for the running turn next reads the agent's activity. */
  private drainRecheckAtMs = 0;

  /** After an idle tenant's final snapshot: true when it was paused instead of stopped (paused-tier.ts). */
  protected abstract pausedInstead(): Promise<boolean>;

  /**
   * Delivers, snapshots and watches the idle deadline until something ends the
   * running phase. Returns 'rest' when the loop may continue-as-new here.
   */
  async running(settingsVersion: () => number, canRest: () => boolean): Promise<'done' | 'rest'> {
    let nextSnapshotAtMs = Date.now() + this.d.settings.snapshotIntervalMs;
    for (;;) {
      const d = this.d;
      if (d.lostReason !== null) return this.crashed().then(() => 'done' as const);
      if (d.activeDeadlineMs != null && Date.now() >= d.activeDeadlineMs) this.restForQuota();
      const deliverable = () => d.buffer.length > 0 && Date.now() >= this.retryAtMs;
      if (deliverable()) {
        await this.deliverBuffered();
        continue;
      }
      if (this.drainDue()) {
        const agent = await this.idleForEviction();
        if (agent === 'busy') continue;
        return this.drain(agent).then(() => 'done' as const);
      }
      const now = Date.now();
      if (now >= nextSnapshotAtMs) {
        try {
          await this.snapshot('periodic snapshot');
        } catch (error) {
          // The pod died under the snapshot (chaos run: a supervisor SIGKILL): the crash path relaunches it from the
          // last snapshot. Any other failure must not end the workflow either: the tenant keeps serving, retried later.
          if (d.lostReason === null) d.reason = `periodic snapshot failed: ${describeFailure(error)}`;
          nextSnapshotAtMs = Date.now() + RETRY_LATER_MS;
          continue;
        }
        await this.publishEndpoint(); // refresh the cache entry's TTL
        // A long-running tenant's active time shows in billing before it sleeps (the same interval, replaced).
        if (patched(USAGE_WHILE_RUNNING_PATCH)) await this.recordUsage();
        nextSnapshotAtMs = Date.now() + d.settings.snapshotIntervalMs;
        continue;
      }
      // Lazy deadline: touches only move lastActiveAt; the timer is re-armed when it fires.
      if (now >= this.s.idleDeadlineMs()) {
        const agent = await this.readAgent();
        if (agent && this.s.isBusy(agent.inFlightRuns, parseTime(agent.nextScheduledAt), now))
          this.s.touch(now);
        else if (agent?.lastActiveAt && Date.parse(agent.lastActiveAt) + d.settings.idleTimeoutMs > now)
          this.s.touch(Date.parse(agent.lastActiveAt));
        else return this.drain(agent).then(() => 'done' as const);
        continue;
      }
      if (canRest()) return 'rest';
      const version = settingsVersion();
      const wakeAt = Math.min(
        nextSnapshotAtMs,
        this.s.idleDeadlineMs(),
        d.buffer.length > 0 ? this.retryAtMs : Infinity,
        d.activeDeadlineMs ?? Infinity,
        this.waitingForTurn() ? this.drainRecheckAtMs : Infinity,
      );
      await condition(
        () => d.lostReason !== null || this.drainDue() || deliverable() || settingsVersion() !== version,
        Math.max(1, wakeAt - now),
      );
    }
  }

  /**
   * Another tenant's capacity eviction (`sleepNow`) is a request, not an order:
   * the waker chose this tenant while it looked idle, but a delivery may have
   * landed since. Draining then would cut the turn off and leave its message
   * unanswered until some later wake, so a busy tenant declines, and the waker
   * looks for another candidate. Returns the agent read for the drain, or null
   * when the drain is not an eviction (suspend, offboard, quota rest, lost pod).
   */
  private async idleForEviction(): Promise<AgentActivity | null | 'busy'> {
    const d = this.d;
    const r = d.requests;
    if (this.waitingForTurn()) {
      const agent = await this.readAgent();
      const since = (r.sleepAfterTurnSinceMs ??= Date.now());
      // A turn that never ends (a hung tool, a full disk) must not hold an operator's sleep forever.
      if (!agent || agent.inFlightRuns === 0 || Date.now() - since >= AFTER_TURN_MAX_WAIT_MS) return agent;
      d.reason = 'asked to sleep: waiting for the running turn to end';
      this.publishDetails();
      this.drainRecheckAtMs = Date.now() + AFTER_TURN_RECHECK_MS;
      return 'busy';
    }
    const evictionOnly =
      r.sleepIfIdle === true && r.suspend === null && r.offboard === null && d.lostReason === null;
    if (!evictionOnly || !patched(EVICT_ONLY_IF_IDLE_PATCH)) return null;
    const agent = await this.readAgent();
    if (!agent || !this.s.isBusy(agent.inFlightRuns, parseTime(agent.nextScheduledAt), Date.now()))
      return agent;
    r.sleep = false;
    r.sleepIfIdle = false;
    d.reason = `declined to sleep to make room: a turn is running`;
    this.publishDetails();
    return 'busy';
  }

  /** Whether the only reason to drain is an operator's sleep, which waits for the running turn (SleepMode). */
  private waitingForTurn(): boolean {
    const d = this.d;
    const r = d.requests;
    return (
      r.sleep &&
      r.sleepAfterTurn === true &&
      r.suspend === null &&
      r.offboard === null &&
      d.lostReason === null
    );
  }

  /** A drain reason is pending and, for a sleep after the turn, its next look at the agent is due. */
  private drainDue(): boolean {
    return this.s.hasDrainReason() && (!this.waitingForTurn() || Date.now() >= this.drainRecheckAtMs);
  }

  /** Today's active seconds are used up: sleep now, and until the next UTC day (asleep() waits it out). */
  private restForQuota(): void {
    const d = this.d;
    const now = new Date();
    d.restUntilMs = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    d.activeDeadlineMs = null;
    d.reason = `${QUOTA_REST}; asleep until ${new Date(d.restUntilMs).toISOString()}`;
    this.s.requestSleep('now'); // the quota's rest is neither declined nor put off by a running turn
    this.publishDetails();
  }

  /**
   * In order, one at a time: the head leaves the buffer only after the agent's durable ack.
   * `local`: as local activities, within the current workflow task (the paused tier's resume).
   */
  protected async deliverBuffered(local = false): Promise<void> {
    const d = this.d;
    while (d.buffer.length > 0 && d.lostReason === null && d.pod) {
      const envelope = d.buffer[0]!;
      try {
        await step(
          (local ? resumeLocally.deliver : deliver).deliverMessage,
          `deliver ${envelope.channel} message ${envelope.dedupeId}`,
          {
            tenantId: d.tenantId,
            pod: d.pod,
            envelope,
          },
        );
        this.s.delivered(Date.now());
      } catch (error) {
        if (d.lostReason !== null) break; // the crash path relaunches and delivers again
        d.reason = `delivery of ${envelope.dedupeId} failing: ${describeFailure(error)}`;
        // A message the agent refuses round after round must not keep the tenant awake forever.
        if (this.s.deliveryFailed())
          d.reason = `dropped ${envelope.dedupeId} after repeated delivery failures`;
        else this.retryAtMs = Date.now() + RETRY_LATER_MS;
        break;
      }
    }
    this.publishDetails();
  }

  /**
   * Final snapshot, then stop. The pod is stopped only after the snapshot is
   * recorded, unless the pod is already lost (then the last snapshot stands).
   * A tenant drained for being idle (`agent` answered) may be paused instead, unless
   * it is over its memory limit.
   */
  private async drain(agent: AgentActivity | null): Promise<void> {
    const d = this.d;
    this.setPhase('draining');
    await step(store.clearEndpoint, 'clear endpoint: new messages take the cold path', {
      tenantId: d.tenantId,
    });
    const latest = agent ?? (await this.readAgent());
    if (latest) d.nextScheduledAtMs = parseTime(latest.nextScheduledAt);
    let snapshotted = false;
    try {
      await this.snapshot('final snapshot');
      snapshotted = true;
    } catch (error) {
      if (d.lostReason === null) {
        d.reason = `final snapshot failed, still running: ${describeFailure(error)}`;
        await this.publishEndpoint();
        this.setPhase('running');
        await condition(() => d.lostReason !== null, RETRY_LATER_MS);
        return;
      }
      d.reason = `pod lost while draining (${d.lostReason}); last snapshot kept`;
    }
    // Over its memory limit, an idle tenant is stopped rather than paused (memory-recycle.ts).
    const recycled = snapshotted && !this.s.hasDrainReason() ? recycleReason(agent) : null;
    if (recycled) d.reason = recycled;
    if (
      snapshotted &&
      agent !== null &&
      !recycled &&
      !this.s.hasDrainReason() &&
      (await this.pausedInstead())
    )
      return;
    await this.stopPod();
    const r = d.requests;
    r.sleep = false;
    if (r.offboard) return this.enterOffboarding();
    if (r.suspend !== null) return this.enterHeld('suspended', r.suspend);
    this.setPhase('asleep');
  }
}
