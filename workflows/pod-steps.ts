/**
 * The steps on the current pod that the running phases and the crash path
 * share: read the agent's activity, snapshot, stop it and bill its active
 * time, and relaunch after a crash. TenantLifecycle (tenant-lifecycle.ts)
 * builds the running phases on these.
 */
import { condition } from '@temporalio/workflow';
import type { AgentActivity } from './types.js';
import { probe, slow, step, store } from './activity-proxies.js';
import { WakePhases } from './wake-phases.js';

export abstract class PodSteps extends WakePhases {
  /** The agent's activity (runs in flight, next scheduled job), or null when the pod does not answer. */
  protected async readAgent(): Promise<AgentActivity | null> {
    const { d } = this;
    if (!d.pod) return null;
    try {
      return await step(probe.readAgentActivity, 'ask the agent whether it is busy', {
        tenantId: d.tenantId,
        pod: d.pod,
      });
    } catch {
      return null; // an unreachable agent is not busy; the final snapshot decides whether draining is safe
    }
  }

  /** A snapshot of the running pod, recorded as the newest unless a newer one already is. */
  protected async snapshot(label: string): Promise<void> {
    const { d } = this;
    if (!d.pod) return;
    const manifest = await step(slow.takeSnapshot, `${label} of ${d.pod.podId}`, {
      tenantId: d.tenantId,
      pod: d.pod,
    });
    this.s.recordSnapshot(manifest);
    this.publishDetails();
  }

  /** Stop the pod and bill the active time; both activities are idempotent. */
  protected async stopPod(): Promise<void> {
    const d = this.d;
    const pod = d.pod;
    if (pod) {
      // The runtime returns the drain's final snapshot (or what a dead pod left), recorded by the activity.
      const drained = await step(slow.stopPod, `stop pod ${pod.podId}`, {
        tenantId: d.tenantId,
        pod,
      });
      if (drained) this.s.recordSnapshot(drained);
    }
    await this.recordUsage();
    d.pod = null;
    d.wokeAtMs = null;
    d.lostReason = null;
  }

  /**
   * The active interval since the wake (one wake, its time, the messages the
   * workflow delivered); keyed by the wake time, so a later report replaces it.
   */
  protected async recordUsage(): Promise<void> {
    const d = this.d;
    if (d.wokeAtMs === null) return;
    const usage = {
      from: new Date(d.wokeAtMs).toISOString(),
      to: new Date().toISOString(),
      activeMs: Date.now() - d.wokeAtMs,
      messages: d.deliveredCount - d.wokeDelivered,
      wakes: 1,
    };
    const quotaHit = await step(store.recordUsage, `record ${Math.round(usage.activeMs / 1000)} s of usage`, {
      tenantId: d.tenantId,
      usage,
    });
    // Histories from before the activity answered hold no result: keep what was known.
    if (typeof quotaHit === 'string' || quotaHit === null) d.quotaHit = quotaHit;
  }

  /** The pod died: relaunch from the last snapshot with backoff, or give up after a crash loop. */
  protected async crashed(): Promise<void> {
    const d = this.d;
    const reason = d.lostReason ?? 'unknown';
    await step(store.clearEndpoint, `clear endpoint: pod lost (${reason})`, { tenantId: d.tenantId });
    await this.stopPod(); // a crashed pod may still exist as an object; missing is success
    const delayMs = this.s.recordCrash(Date.now());
    if (delayMs === null) {
      const { maxCrashes, windowMs } = d.settings.crashLoop;
      return this.enterHeld(
        'failed',
        `crash loop: ${maxCrashes} crashes within ${windowMs / 1000} s, last: ${reason}`,
      );
    }
    d.reason = `relaunching after crash: ${reason}`;
    this.setPhase('waking');
    const r = d.requests;
    await condition(() => r.suspend !== null || r.offboard !== null, delayMs);
    if (r.suspend !== null || r.offboard !== null) this.setPhase('asleep'); // asleep acts on the request
  }
}
