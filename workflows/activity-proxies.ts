/**
 * Activity proxies, one per timeout profile, plus `step()` which attaches a
 * `summary` to each call so the Web UI history reads as a story
 * ("launch pod acme-3", "final snapshot #12", ...).
 */
import { proxyActivities, proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import type { TenantActivities } from '../activities/index.js';
import { PERMANENT_ERROR_TYPE } from './shared.js';

const nonRetryableErrorTypes = [PERMANENT_ERROR_TYPE];

/**
 * Recovery from a SIGKILLed worker (docs/operations.md, "Recovery times"):
 * its in-flight activities are retried only once their heartbeat times out
 * (without a heartbeat timeout, only after start-to-close: a minute). Every
 * activity heartbeats every 2 s (activities/index.ts, `guarded`) and the
 * worker sends them at least that often (worker/main.ts), so a live activity
 * misses several beats before it times out, and a dead worker's is retried a
 * few seconds after the kill, about when the restarted worker polls again.
 * Every activity is idempotent, so a retry beside a slow live attempt is safe.
 */
const QUICK_HEARTBEAT = '5 seconds';
const LONG_HEARTBEAT = '10 seconds';

/** Long, heartbeating work, retried until it succeeds or fails permanently. */
const longRunning: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: LONG_HEARTBEAT,
  retry: {
    initialInterval: '2 seconds',
    maximumInterval: '1 minute',
    maximumAttempts: 5,
    nonRetryableErrorTypes,
  },
};

/** Starting a pod can take minutes (image pull, restore); the activity heartbeats while it waits. */
export const launch = proxyActivities<TenantActivities>(longRunning);

/** Snapshots and stops: same profile as launches, kept as its own proxy so each can be tuned alone. */
export const slow = proxyActivities<TenantActivities>(longRunning);

/** A hand-off's attempts, remote or local: bounded, then the workflow backs off and tries again later. */
const DELIVER_RETRY = {
  initialInterval: '1 second',
  maximumInterval: '10 seconds',
  maximumAttempts: 5,
  nonRetryableErrorTypes,
};

/** A quick question's attempts: a dead agent should not hold up the decision for long. */
const PROBE_RETRY = {
  initialInterval: '1 second',
  maximumInterval: '5 seconds',
  maximumAttempts: 3,
  nonRetryableErrorTypes,
};

/** A message hand-off: bounded attempts, then the workflow backs off and tries again later. */
export const deliver = proxyActivities<TenantActivities>({
  heartbeatTimeout: QUICK_HEARTBEAT,
  startToCloseTimeout: '1 minute',
  retry: DELIVER_RETRY,
});

/** Quick questions to the agent: a dead agent should not hold up the decision for long. */
export const probe = proxyActivities<TenantActivities>({
  heartbeatTimeout: QUICK_HEARTBEAT,
  startToCloseTimeout: '15 seconds',
  retry: PROBE_RETRY,
});

/**
 * Thawing a paused pod: one attempt. A pod that does not answer after its
 * thaw is not tried again: the workflow stops it and launches cold at once.
 */
export const thaw = proxyActivities<TenantActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { maximumAttempts: 1 },
});

/**
 * The paused tier's resume path (paused-tier.ts), as local activities: they
 * run in the worker that holds the workflow task, and their results come
 * back within that task, so thaw, endpoint, allowance and delivery cost no
 * task round trips through the server (each one 20–100 ms on this loaded
 * host, measured: docs/benchmarks.md). Same timeouts and retries as their
 * remote profiles. A worker that dies before the task completes leaves no
 * record of them: the next worker runs them again, and each is idempotent
 * (a ready pod resumes as itself, the supervisor dedupes a delivery).
 */
export const resumeLocally = {
  thaw: proxyLocalActivities<TenantActivities>({
    startToCloseTimeout: '15 seconds',
    retry: { maximumAttempts: 1 },
  }),
  deliver: proxyLocalActivities<TenantActivities>({
    startToCloseTimeout: '1 minute',
    retry: DELIVER_RETRY,
  }),
  /**
   * Thaw and first delivery in one activity (`resumeAndDeliver`): one attempt, as a thaw; its delivery's own
   * failures come back as a result, and the workflow retries the delivery as any other.
   */
  thawAndDeliver: proxyLocalActivities<TenantActivities>({
    startToCloseTimeout: '1 minute',
    retry: { maximumAttempts: 1 },
  }),
  probe: proxyLocalActivities<TenantActivities>({
    startToCloseTimeout: '15 seconds',
    retry: PROBE_RETRY,
  }),
  store: proxyLocalActivities<TenantActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes },
  }),
};

/** Bookkeeping against our own stores (endpoint cache, registry, deletes): retried until done. */
export const store = proxyActivities<TenantActivities>({
  heartbeatTimeout: QUICK_HEARTBEAT,
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes },
});

/**
 * Calls to the Telegram Bot API: a few quick attempts. A registration that
 * keeps failing is reported to the operator instead of retried for ever.
 */
export const channel = proxyActivities<TenantActivities>({
  heartbeatTimeout: QUICK_HEARTBEAT,
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '10 seconds',
    maximumAttempts: 5,
    nonRetryableErrorTypes,
  },
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyActivity = (...args: any[]) => Promise<any>;

/** An activity of any proxy above, remote or local. */
type Activity<F extends AnyActivity> = F & {
  executeWithOptions(options: { summary: string }, args: Parameters<F>): Promise<Awaited<ReturnType<F>>>;
};

/** Run one activity with a human-readable summary for the Web UI. */
export function step<F extends AnyActivity>(
  fn: Activity<F>,
  summary: string,
  ...args: Parameters<F>
): Promise<Awaited<ReturnType<F>>> {
  return fn.executeWithOptions({ summary }, args);
}
