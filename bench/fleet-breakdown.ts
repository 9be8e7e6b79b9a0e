/**
 * Where a `bench:fleet` wake's time goes, from two records clawfleet does not
 * have to add: the woken workflow's history (event times, so the time spent
 * queued for a worker and the time a worker held each task) and the worker
 * SDK's own Prometheus metrics (schedule-to-start, slots, sticky cache).
 */
import { Runtime, DefaultLogger } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { tenantWorkflowId } from '../workflows/shared.js';

const EventType = proto.temporal.api.enums.v1.EventType;

/** What each stretch of a wake was waiting on; they add up to posted → acked. */
export const WAKE_PARTS = [
  'accept', // router, then Temporal writing the deliver signal
  'workflowTaskQueued', // a workflow task waiting for a worker poll
  'workflowTaskRunning', // a worker holding a workflow task (including local activities)
  'activityQueued', // an activity task waiting for a worker poll (and the workflow task's completion)
  'activityRunning', // a worker running an activity
  'afterHistory', // after the last event before the ack: the delivery's own hop to the stand-in
] as const;
export type WakePart = (typeof WAKE_PARTS)[number];

const after: Partial<Record<number, WakePart>> = {
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED]: 'workflowTaskQueued',
  [EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED]: 'workflowTaskQueued',
  [EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED]: 'workflowTaskRunning',
  [EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED]: 'activityQueued',
  [EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]: 'activityQueued',
  [EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED]: 'activityRunning',
  [EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED]: 'workflowTaskQueued',
};

/**
 * The parts of one wake: the first deliver signal at or after `posted` starts
 * it, `acked` (when the stand-in got the update) ends it. Null when the
 * history holds no such signal (the wake went another way).
 */
export async function wakeBreakdown(
  client: Client,
  tenantId: string,
  posted: number,
  acked: number,
): Promise<{ parts: Record<WakePart, number>; events: number } | null> {
  const history = await client.workflow.getHandle(tenantWorkflowId(tenantId)).fetchHistory();
  const events = (history.events ?? [])
    .map((e) => ({ type: Number(e.eventType ?? 0), at: eventMs(e.eventTime), id: Number(e.eventId ?? 0) }))
    .sort((a, b) => a.at - b.at || a.id - b.id);
  const start = events.findIndex(
    (e) => e.type === Number(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED) && e.at >= posted - 5,
  );
  if (start < 0) return null;
  const parts = Object.fromEntries(WAKE_PARTS.map((p) => [p, 0])) as Record<WakePart, number>;
  parts.accept = Math.max(0, events[start]!.at - posted);
  let state: WakePart = 'workflowTaskQueued';
  let at = events[start]!.at;
  let counted = 1;
  for (const e of events.slice(start + 1)) {
    if (e.at >= acked) break;
    parts[state] += e.at - at;
    at = e.at;
    state = after[e.type] ?? state;
    counted += 1;
  }
  parts.afterHistory += Math.max(0, acked - at);
  return { parts, events: counted };
}

function eventMs(time: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!time) return 0;
  return Number(time.seconds ?? 0) * 1000 + Math.floor((time.nanos ?? 0) / 1e6);
}

/** The worker SDK's metrics on `port` (Prometheus); call before anything else creates the Runtime. */
export function installWorkerMetrics(port: number): string | null {
  try {
    Runtime.install({
      logger: new DefaultLogger('WARN'),
      telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` } } },
    });
    return `http://127.0.0.1:${port}/metrics`;
  } catch {
    return null; // a Runtime exists already (the smoke test after other suites): no worker metrics
  }
}

/**
 * The worker metrics that say whether the worker is the queue: means of the
 * schedule-to-start and execution histograms (ms), the sticky cache, the slots
 * left, summed over label sets.
 */
export async function scrapeWorkerMetrics(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(url)).text();
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})?\s+([-+\d.eE]+|NaN|\+Inf)/.exec(line);
    if (!match) continue;
    sums.set(match[1]!, (sums.get(match[1]!) ?? 0) + Number(match[2]));
  }
  const out: Record<string, number> = {};
  for (const [name, value] of sums) {
    if (name.endsWith('_bucket')) continue;
    if (name.endsWith('_sum')) {
      const base = name.slice(0, -4);
      const count = sums.get(`${base}_count`) ?? 0;
      if (count > 0) out[`${base}_mean`] = Math.round((value / count) * 10) / 10;
      continue;
    }
    if (name.endsWith('_count') && sums.has(`${name.slice(0, -6)}_sum`)) {
      out[name] = value;
      continue;
    }
    out[name] = value;
  }
  return out;
}

/** Median and p99 (ms) of each part over the sampled wakes, and each part's share of their summed time. */
export function summariseBreakdowns(samples: readonly Record<WakePart, number>[]) {
  const at = (values: number[], q: number) =>
    [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))] ?? NaN;
  const total = samples.reduce((s, p) => s + WAKE_PARTS.reduce((t, k) => t + p[k], 0), 0);
  return Object.fromEntries(
    WAKE_PARTS.map((part) => {
      const values = samples.map((s) => s[part]);
      const sum = values.reduce((s, v) => s + v, 0);
      return [
        part,
        { p50: at(values, 0.5), p99: at(values, 0.99), share: Math.round((sum / total) * 100) / 100 },
      ];
    }),
  );
}

/** The worker metrics worth printing (names as the SDK's Prometheus exporter gives them). */
export const WORKER_METRICS = [
  'temporal_workflow_task_schedule_to_start_latency_mean',
  'temporal_workflow_task_execution_latency_mean',
  'temporal_workflow_task_replay_latency_mean',
  'temporal_workflow_task_replay_latency_count',
  'temporal_activity_schedule_to_start_latency_mean',
  'temporal_activity_execution_latency_mean',
  'temporal_local_activity_execution_latency_mean',
  'temporal_sticky_cache_size',
  'temporal_sticky_cache_total_forced_eviction',
  'temporal_sticky_cache_hit',
  'temporal_sticky_cache_miss',
  'temporal_worker_task_slots_available',
  'temporal_workflow_slot_used',
  'temporal_num_pollers',
];
