/**
 * The paused tier between running and asleep. An idle tenant takes its final
 * snapshot exactly as before a sleep (so a paused tenant is as durable as a
 * sleeping one), then, where the runtime can, it is frozen in memory instead
 * of stopped: no CPU, its memory and place kept. Its endpoint was cleared by
 * the drain, so the router's hot path does not reach a frozen pod: messages
 * take the cold path and land here.
 *
 * From `paused`: a message, a wake or the next scheduled job resumes it (the
 * endpoint is published again, then the hot path serves; the thaw, the
 * endpoint and the buffered messages' delivery run as local activities, in
 * the one workflow task the message started); the deep-sleep
 * timeout, a capacity eviction (`sleepNow`), a suspend, an offboard or a lost
 * pod stop it (asleep, like any sleep). A resume that fails stops the pod and
 * launches cold from the snapshot taken before the pause: nothing is lost,
 * messages wait in the buffer meanwhile.
 */
import { condition, log, patched } from '@temporalio/workflow';
import { probe, resumeLocally, step, thaw } from './activity-proxies.js';
import type { ResumedAndDelivered } from '../activities/index.js';
import { describeFailure } from './failures.js';
import type { PodHandle } from './types.js';
import { TenantLifecycle } from './tenant-lifecycle.js';

/** Histories from before the paused tier replay with idle tenants stopped at once. */
const PAUSED_TIER_PATCH = 'paused-tier';
/**
 * Histories from before the resume ran as local activities replay with its
 * four workflow tasks: thaw, then endpoint and allowance, then delivery.
 */
const LOCAL_RESUME_PATCH = 'paused-resume-local';
/**
 * Histories from before the thaw and the first delivery ran as one local activity replay with the thaw's result
 * and the delivery in two activations.
 */
const ONE_HOP_RESUME_PATCH = 'paused-resume-one-hop';

export class PausedTier extends TenantLifecycle {
  protected async pausedInstead(): Promise<boolean> {
    const d = this.d;
    const pod = d.pod;
    if (!pod || !patched(PAUSED_TIER_PATCH)) return false;
    let paused: { deepSleepAfterMs: number } | null;
    try {
      paused = await step(probe.pausePod, `pause ${pod.podId}: freeze it in memory`, {
        tenantId: d.tenantId,
        pod,
      });
    } catch (error) {
      d.reason = `pause of ${pod.podId} failed, sleeping instead: ${describeFailure(error)}`;
      return false;
    }
    if (!paused) return false; // the runtime cannot pause, or the paused tier is off: sleep as always
    await this.recordUsage(); // a paused tenant is not active: its interval ends here
    const now = Date.now();
    d.wokeAtMs = null;
    d.pausedAtMs = now;
    d.deepSleepAtMs = now + paused.deepSleepAfterMs;
    d.pausedAs = podSettings(d);
    this.setPhase('paused');
    return true;
  }

  /** Waits for a reason to resume or to sleep fully, then does it. */
  async paused(): Promise<void> {
    const d = this.d;
    const scheduledAt = this.s.scheduledWakeAtMs();
    const until = Math.min(d.deepSleepAtMs ?? Date.now(), scheduledAt ?? Infinity);
    const wanted = () => this.s.hasWakeReason() || this.s.hasDrainReason();
    if (!wanted() && until > Date.now()) await condition(wanted, until - Date.now());
    if (this.s.hasDrainReason()) return this.deepSleep(null);
    const scheduledDue = scheduledAt !== null && Date.now() >= scheduledAt;
    if (this.s.hasWakeReason() || scheduledDue) return this.resumePaused();
    return this.deepSleep('deep-sleep timeout: paused long enough, pod stopped (snapshot kept)');
  }

  /**
   * Thaw, then publish the endpoint again (the hot path serves from here), read the allowance and deliver what
   * the buffer holds, all at once and within the workflow task the message started (local activities): the
   * buffered message needs the thawed pod, not the endpoint, and the allowance only bounds the time awake.
   */
  private async resumePaused(): Promise<void> {
    const d = this.d;
    const pod = d.pod!;
    d.nextScheduledAtMs = null; // woken for the job or for a message: the job time is used up either way, as asleep
    if (d.pausedAs != null && d.pausedAs !== podSettings(d)) {
      // Configured while paused (a fleet upgrade, a new tier): the frozen pod runs the old ones, so launch afresh.
      d.reason = `settings changed while paused (${d.pausedAs} → ${podSettings(d)}): waking cold`;
      return this.wakeCold();
    }
    if (patched(ONE_HOP_RESUME_PATCH)) return this.resumeInOneHop(pod);
    const local = patched(LOCAL_RESUME_PATCH);
    try {
      d.pod = await step((local ? resumeLocally.thaw : thaw).resumePod, `resume ${pod.podId} from pause`, {
        tenantId: d.tenantId,
        pod,
      });
    } catch (error) {
      // The pause left a snapshot and the buffer holds every message: a cold launch from it loses nothing.
      d.reason = `resume of ${pod.podId} failed, waking cold: ${describeFailure(error)}`;
      return this.wakeCold();
    }
    const now = Date.now();
    d.wokeAtMs = now;
    d.wokeDelivered = d.deliveredCount;
    d.lastActiveAtMs = now;
    d.requests.wake = false;
    this.leavePause();
    if (local)
      await Promise.all([
        this.publishEndpoint(true),
        this.armActiveQuota(now, true),
        this.deliverBuffered(true),
      ]);
    else await Promise.all([this.publishEndpoint(), this.armActiveQuota(now)]);
    this.setPhase('running');
  }

  /**
   * One local activity thaws the pod, then delivers the buffer's head and publishes the endpoint
   * (activities/resume-and-deliver.ts) while today's allowance is read beside it: the delivery starts the moment
   * the thaw is confirmed, with no workflow activation between them. Only a failed thaw wakes cold; a delivery or
   * publish that failed on the thawed pod is done again here, as after any resume.
   */
  private async resumeInOneHop(pod: PodHandle): Promise<void> {
    const d = this.d;
    const now = Date.now();
    const head = d.buffer[0] ?? null;
    // The thaw is on the message's critical path: dispatched first, the allowance (it needs no pod) beside it.
    const thawed = step(resumeLocally.thawAndDeliver.resumeAndDeliver, `resume ${pod.podId} and deliver`, {
      tenantId: d.tenantId,
      pod,
      envelope: head,
      ttlMs: this.endpointTtlMs(),
    });
    const allowance = this.armActiveQuota(now, true);
    let resumed: ResumedAndDelivered;
    try {
      resumed = await thawed;
    } catch (error) {
      await allowance; // settled before the cold wake arms its own
      d.reason = `resume of ${pod.podId} failed, waking cold: ${describeFailure(error)}`;
      return this.wakeCold();
    }
    d.pod = resumed.pod;
    d.wokeAtMs = now;
    d.wokeDelivered = d.deliveredCount;
    d.lastActiveAtMs = now;
    d.requests.wake = false;
    this.leavePause();
    // Signals only append to the buffer: its head is still the envelope delivered.
    if (head !== null && resumed.deliveryFailure === null && d.buffer[0] === head)
      this.s.delivered(Date.now());
    else if (resumed.deliveryFailure !== null)
      log.warn('delivery after the resume failed, delivering again', {
        tenantId: d.tenantId,
        failure: resumed.deliveryFailure,
      });
    await Promise.all([
      resumed.endpointPublished ? undefined : this.publishEndpoint(),
      allowance,
      this.deliverBuffered(true), // what came in meanwhile, or the head again
    ]);
    this.setPhase('running');
  }

  private async wakeCold(): Promise<void> {
    await this.stopPod();
    this.leavePause();
    this.setPhase('waking');
  }

  /** Stop the frozen pod (its snapshot is already recorded), then act on what asked for it. */
  private async deepSleep(why: string | null): Promise<void> {
    const d = this.d;
    if (why) d.reason = why;
    await this.stopPod();
    this.leavePause();
    const r = d.requests;
    r.sleep = false;
    if (r.offboard) return this.enterOffboarding();
    if (r.suspend !== null) return this.enterHeld('suspended', r.suspend);
    this.setPhase('asleep');
  }

  private leavePause(): void {
    this.d.pausedAtMs = null;
    this.d.deepSleepAtMs = null;
    this.d.pausedAs = null;
  }
}

/** What the pod was launched for: a paused pod of other settings is not resumed. */
function podSettings(d: { settings: { tier: string; openclawVersion: string } }): string {
  return `${d.settings.tier} OpenClaw ${d.settings.openclawVersion}`;
}
