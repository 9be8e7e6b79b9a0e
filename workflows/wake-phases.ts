/**
 * The phases that bring a pod up: `asleep` (wait for a reason to wake) and
 * `waking` (launch, or make room on a full host first). PodSteps
 * (pod-steps.ts) adds the crash path on top, TenantLifecycle
 * (tenant-lifecycle.ts) the running phases.
 */
import { condition, getExternalWorkflowHandle, patched } from '@temporalio/workflow';
import { launch, probe, resumeLocally, step, store } from './activity-proxies.js';
import { describeFailure, failureType, isPermanent } from './failures.js';
import { PhaseBase } from './phase-base.js';
import { AT_CAPACITY_ERROR_TYPE, sleepNowSignal, tenantWorkflowId } from './shared.js';

/** A full host with every tenant busy: how long before looking for an idle one again. */
const ROOM_RETRY_MS = 5_000;
const WAITING_FOR_ROOM = 'waiting for a place';
/** Histories from before the active-seconds quota replay without reading the allowance. */
const ACTIVE_QUOTA_PATCH = 'active-seconds-quota';
/**
 * Histories from before the cold wake's steps after the launch ran as local
 * activities replay with three more workflow tasks: endpoint, allowance, delivery.
 */
const LOCAL_WAKE_STEPS_PATCH = 'cold-wake-local-steps';
export const QUOTA_REST = 'quota: active seconds per day used up';

export abstract class WakePhases extends PhaseBase {
  /** Operator restores in flight: the tenant stays asleep until they are recorded. */
  holdWakes = 0;

  /** The pod died or its launch failed: relaunch with backoff, or give up (pod-steps.ts). */
  protected abstract crashed(): Promise<void>;

  /** Hands the buffered messages to the pod, in order (tenant-lifecycle.ts). */
  protected abstract deliverBuffered(local?: boolean): Promise<void>;

  /** Waits for a message, a wake, the next scheduled job, or an operator request. */
  async asleep(): Promise<void> {
    const r = this.d.requests;
    if (this.d.restUntilMs != null && !(await this.restedForQuota())) return;
    const wanted = () => this.s.hasWakeReason() || r.suspend !== null || r.offboard !== null;
    const wakeAt = this.s.scheduledWakeAtMs();
    if (wakeAt === null) await condition(wanted);
    else if (wakeAt > Date.now()) await condition(wanted, wakeAt - Date.now());
    if (r.offboard) return this.enterOffboarding();
    if (r.suspend !== null) return this.enterHeld('suspended', r.suspend);
    await condition(() => this.holdWakes === 0);
    // Woken by a message, a wake update or the scheduled job time: the job time is used up either way.
    this.d.nextScheduledAtMs = null;
    this.setPhase('waking');
  }

  /** Launches pod `<tenantId>-<generation>` from the last snapshot and publishes its endpoint. */
  async waking(): Promise<void> {
    const d = this.d;
    d.lostReason = null;
    const podId = this.s.nextPodId();
    const { openclawVersion } = d.settings;
    this.publishDetails();
    try {
      d.pod = await step(launch.launchPod, `launch pod ${podId}`, {
        tenantId: d.tenantId,
        podId,
        tier: d.settings.tier,
        openclawVersion,
        snapshotSeq: d.lastSnapshot?.seq ?? null,
      });
    } catch (error) {
      if (failureType(error) === AT_CAPACITY_ERROR_TYPE) {
        d.generation -= 1; // nothing was started under this pod id: the next attempt reuses it
        return this.makeRoom();
      }
      this.s.recordLaunch(openclawVersion, false);
      if (isPermanent(error))
        return this.enterHeld('failed', `launch of ${podId} failed: ${describeFailure(error)}`);
      d.lostReason = `launch failed: ${describeFailure(error)}`;
      return this.crashed();
    }
    this.s.recordLaunch(openclawVersion, true);
    if (d.reason?.startsWith(WAITING_FOR_ROOM)) d.reason = null;
    const now = Date.now();
    d.wokeAtMs = now;
    d.wokeDelivered = d.deliveredCount;
    d.lastActiveAtMs = now;
    d.requests.wake = false;
    if (patched(LOCAL_WAKE_STEPS_PATCH)) {
      // The pod answers now: endpoint, allowance and the buffered messages in the workflow task the launch's
      // completion started, as the paused tier's resume does (paused-tier.ts), not three more task round trips.
      await Promise.all([
        this.publishEndpoint(true),
        this.armActiveQuota(now, true),
        this.deliverBuffered(true),
      ]);
    } else {
      await this.publishEndpoint();
      if (patched(ACTIVE_QUOTA_PATCH)) await this.armActiveQuota(now);
    }
    this.setPhase('running');
  }

  /**
   * Sets when today's active seconds run out for this pod; unknown (the registry unreachable) means no limit.
   * `local`: as a local activity, within the current workflow task (the paused tier's resume).
   */
  protected async armActiveQuota(wokeAtMs: number, local = false): Promise<void> {
    const d = this.d;
    d.activeDeadlineMs = null;
    const day = new Date(wokeAtMs).toISOString().slice(0, 10);
    const allowance = await step(
      (local ? resumeLocally.probe : probe).activeAllowance,
      'read today’s active-seconds allowance',
      {
        tenantId: d.tenantId,
        day,
      },
    ).catch(() => null);
    if (allowance && typeof allowance.limitSeconds === 'number')
      d.activeDeadlineMs = wokeAtMs + Math.max(0, allowance.limitSeconds * 1000 - allowance.usedMs);
  }

  /**
   * Sleeps out the active-seconds quota until the next UTC day (messages are
   * buffered meanwhile); false when an operator's suspend or offboard came first.
   */
  private async restedForQuota(): Promise<boolean> {
    const d = this.d;
    const r = d.requests;
    const left = (d.restUntilMs ?? 0) - Date.now();
    if (left > 0) await condition(() => r.suspend !== null || r.offboard !== null, left);
    if (r.offboard) {
      this.enterOffboarding();
      return false;
    }
    if (r.suspend !== null) {
      this.enterHeld('suspended', r.suspend);
      return false;
    }
    d.restUntilMs = null;
    if (d.reason?.startsWith(QUOTA_REST)) d.reason = null;
    this.publishDetails();
    return true;
  }

  /**
   * The host is full. The runtime evicts no one; this workflow asks the least
   * recently active idle tenant to sleep (its history and the Web UI say why),
   * then launches again: the drain frees a place within the launch's wait.
   */
  private async makeRoom(): Promise<void> {
    const d = this.d;
    const candidate = await step(
      probe.findSleepCandidate,
      'host full: find the least recently active idle tenant',
      {
        tenantId: d.tenantId,
      },
    ).catch(() => null); // unknown is treated like "nobody idle": wait, then look again
    if (candidate) {
      const why = `put to sleep to make room: host full and ${d.tenantId} is waking`;
      try {
        await getExternalWorkflowHandle(tenantWorkflowId(candidate.tenantId)).signal(
          sleepNowSignal,
          why,
          'if-idle',
        );
        d.reason = `${WAITING_FOR_ROOM}: asked ${candidate.tenantId} (last active ${candidate.lastActiveAt ?? 'never'}) to sleep`;
      } catch {
        d.reason = `${WAITING_FOR_ROOM}: ${candidate.tenantId} could not be asked to sleep`;
      }
    } else d.reason = `${WAITING_FOR_ROOM}: every awake tenant is busy or already leaving`;
    this.publishDetails();
    const r = d.requests;
    if (!candidate) await condition(() => r.suspend !== null || r.offboard !== null, ROOM_RETRY_MS);
    if (r.suspend !== null || r.offboard !== null) this.setPhase('asleep'); // asleep acts on the request
  }

  /** How long a published endpoint stays cached: refreshed by each periodic snapshot, dropped by a drain. */
  protected endpointTtlMs(): number {
    const { settings } = this.d;
    return 2 * Math.max(settings.snapshotIntervalMs, settings.idleTimeoutMs);
  }

  /** `local`: as a local activity, within the current workflow task (the paused tier's resume). */
  protected async publishEndpoint(local = false): Promise<void> {
    const d = this.d;
    if (!d.pod) return;
    const ttlMs = this.endpointTtlMs();
    await step((local ? resumeLocally.store : store).publishEndpoint, `publish endpoint of ${d.pod.podId}`, {
      tenantId: d.tenantId,
      pod: d.pod,
      ttlMs,
    });
  }
}
