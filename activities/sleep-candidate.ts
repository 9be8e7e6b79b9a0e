/**
 * Who should make room when the host is full: a paused tenant first (the one
 * paused longest ago: it was active least recently, its snapshot is taken and
 * it cannot be asked anything while frozen), else the least recently active idle
 * running tenant. The runtime only reports what it holds; this reads each candidate's
 * activity (a cheap probe of the supervisor) and ranks them. The caller's
 * workflow then asks the chosen tenant's workflow to sleep, so the decision
 * and its reason are in history and the Web UI.
 */
import { DEFAULT_SETTINGS } from '../workflows/shared.js';
import { agentBusy } from '../workflows/tenant-state.js';
import type { AgentActivity } from '../workflows/types.js';
import type { AgentPort, EndpointCache, RuntimePod, RuntimePort } from './ports.js';

export interface SleepCandidate {
  readonly tenantId: string;
  /** ISO time the candidate was last active, as its agent reported it. */
  readonly lastActiveAt: string | null;
}

/** The scheduled-wake lead (no tenant has another: start options and `configure` leave it at the default). */
const LEAD_MS = DEFAULT_SETTINGS.scheduledWakeLeadMs;
/** Probes at once: each is a few SQLite reads in the supervisor, but a host holds up to 253 tenants. */
const PROBE_CONCURRENCY = 8;

/** The ports this reads (capacity, the agents' activity, the published endpoints). */
export interface SleepCandidatePorts {
  readonly runtime: Pick<RuntimePort, 'capacity'>;
  readonly agent: Pick<AgentPort, 'activity'>;
  readonly endpoints: Pick<EndpointCache, 'lookup'>;
}

export async function pickSleepCandidate(
  ports: SleepCandidatePorts,
  requester: string,
): Promise<SleepCandidate | null> {
  const { pods, waiting } = await ports.runtime.capacity();
  const stopping = pods.filter((p) => p.state === 'stopping').length;
  // The requester's own launch has given up its place in the queue, hence the + 1.
  if (stopping >= waiting + 1) return null;
  const paused = pods
    .filter((p) => p.state === 'paused' && p.tenantId !== requester)
    .sort((a, b) => Date.parse(a.pausedAt ?? '') - Date.parse(b.pausedAt ?? ''));
  if (paused[0]) return { tenantId: paused[0].tenantId, lastActiveAt: paused[0].pausedAt ?? null };
  const ready = pods.filter((p) => p.state === 'ready' && p.tenantId !== requester);
  const probed: { pod: RuntimePod; activity: AgentActivity }[] = [];
  for (let i = 0; i < ready.length; i += PROBE_CONCURRENCY) {
    const batch = ready.slice(i, i + PROBE_CONCURRENCY);
    const results = await Promise.all(batch.map((pod) => probe(ports, pod)));
    for (const result of results) if (result) probed.push(result);
  }
  // A tenant woken for a job due soon looks idle (and long unused) until the job runs: it is not a candidate.
  const now = Date.now();
  const idle = probed
    .filter(({ activity }) => !agentBusy(activity.inFlightRuns, nextJobMs(activity), now, LEAD_MS))
    .sort((a, b) => lastActiveMs(a.activity) - lastActiveMs(b.activity));
  const chosen = idle[0];
  return chosen ? { tenantId: chosen.pod.tenantId, lastActiveAt: chosen.activity.lastActiveAt } : null;
}

/**
 * A pod without a published endpoint is draining already (a drain clears it
 * first) or has just woken: neither is a candidate. A pod that does not answer
 * is not one either; its workflow hears of it through podLost.
 */
async function probe(
  ports: Pick<SleepCandidatePorts, 'agent' | 'endpoints'>,
  pod: RuntimePod,
): Promise<{ pod: RuntimePod; activity: AgentActivity } | null> {
  const published = await ports.endpoints.lookup(pod.tenantId).catch(() => null);
  if (published !== pod.endpoint) return null;
  const activity = await ports.agent.activity(pod).catch(() => null);
  return activity ? { pod, activity } : null;
}

function nextJobMs(activity: AgentActivity): number | null {
  const ms = activity.nextScheduledAt ? Date.parse(activity.nextScheduledAt) : NaN;
  return Number.isFinite(ms) ? ms : null;
}

function lastActiveMs(activity: AgentActivity): number {
  const ms = activity.lastActiveAt ? Date.parse(activity.lastActiveAt) : NaN;
  return Number.isFinite(ms) ? ms : 0;
}
