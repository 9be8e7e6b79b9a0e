import { strict as assert } from 'node:assert';
import { pickSleepCandidate, type SleepCandidatePorts } from '../../activities/sleep-candidate.js';
import { DEFAULT_SETTINGS } from '../../workflows/shared.js';
import type { AgentActivity } from '../../workflows/types.js';

/** A host of ready pods whose agents report `activity`, every endpoint published (the picker's three reads). */
function host(activity: Record<string, AgentActivity>): SleepCandidatePorts {
  const pods = Object.keys(activity).map((tenantId) => ({
    tenantId,
    podId: `${tenantId}-1`,
    endpoint: `http://${tenantId}.invalid`,
    state: 'ready' as const,
  }));
  return {
    runtime: { capacity: () => Promise.resolve({ max: pods.length, waiting: 1, pods }) },
    agent: { activity: (pod) => Promise.resolve(activity[pod.podId.replace(/-1$/, '')]!) },
    endpoints: { lookup: (tenantId) => Promise.resolve(`http://${tenantId}.invalid`) },
  };
}

const at = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString();

describe('the sleep candidate on a full host (activities/sleep-candidate.ts)', () => {
  it('is the least recently active idle tenant', async () => {
    const candidate = await pickSleepCandidate(
      host({
        busy: { inFlightRuns: 1, lastActiveAt: at(-3_600_000), nextScheduledAt: null },
        older: { inFlightRuns: 0, lastActiveAt: at(-600_000), nextScheduledAt: null },
        newer: { inFlightRuns: 0, lastActiveAt: at(-60_000), nextScheduledAt: null },
      }),
      'waker',
    );
    assert.equal(candidate?.tenantId, 'older');
  });

  it('is never a tenant whose scheduled job is due within the wake lead: woken for a reminder, it stays up for it', async () => {
    const lead = DEFAULT_SETTINGS.scheduledWakeLeadMs;
    const candidate = await pickSleepCandidate(
      host({
        // Woken by its timer a lead before the job: no run yet, and its last activity is from before it slept.
        reminder: { inFlightRuns: 0, lastActiveAt: at(-3_600_000), nextScheduledAt: at(lead - 5_000) },
        later: { inFlightRuns: 0, lastActiveAt: at(-600_000), nextScheduledAt: at(lead + 600_000) },
      }),
      'waker',
    );
    assert.equal(candidate?.tenantId, 'later', 'a job far off leaves a tenant evictable');
    const none = await pickSleepCandidate(
      host({ reminder: { inFlightRuns: 0, lastActiveAt: null, nextScheduledAt: at(-1_000) } }),
      'waker',
    );
    assert.equal(none, null, 'an overdue job still to run counts as work');
  });
});
