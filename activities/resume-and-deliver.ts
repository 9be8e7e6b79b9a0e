/**
 * The paused tier's resume in one hop: thaw the pod, then hand it the
 * buffered head and publish its endpoint at once, in one activity (run as a
 * local activity by workflows/paused-tier.ts). Before, the thaw's result went
 * back to the workflow and the delivery was dispatched from the next
 * activation: a wait for the worker's CPU on every resume (16 ms median on a
 * quiet host, docs/benchmarks.md) between two steps that need no decision.
 *
 * Only the thaw decides whether the resume worked: when it throws, the
 * workflow stops the pod and wakes cold, and the message, still in its
 * buffer, goes to the new pod. Once thawed, a failing delivery or publish is
 * reported, not thrown: the pod is serving, and the workflow retries them by
 * its usual paths (a thawed pod that had acked the message would otherwise be
 * stopped undrained, and its turn lost).
 */
import { Context, log } from '@temporalio/activity';
import type { Envelope, PodHandle } from '../workflows/types.js';
import type { AgentPort, EndpointCache, RuntimePort } from './ports.js';

export interface ResumeAndDeliverInput {
  readonly tenantId: string;
  readonly pod: PodHandle;
  /** The buffer's head, delivered once the pod is thawed; null when nothing waits (a wake or a scheduled job). */
  readonly envelope: Envelope | null;
  /** The endpoint cache entry's time to live, as `publishEndpoint` is given it. */
  readonly ttlMs: number;
}

export interface ResumedAndDelivered {
  /** The thawed pod. */
  readonly pod: PodHandle;
  /** Why the head was not acked (the workflow delivers it again); null when it was, or there was none. */
  readonly deliveryFailure: string | null;
  /** False when the endpoint could not be published (the workflow publishes it again). */
  readonly endpointPublished: boolean;
}

export interface ResumePorts {
  readonly runtime: Pick<RuntimePort, 'resume'>;
  readonly agent: Pick<AgentPort, 'deliver'>;
  readonly endpoints: Pick<EndpointCache, 'publish'>;
}

/**
 * `onPod` wraps the delivery as every supervisor call is wrapped (a pod the runtime saw die fails permanently).
 * Throws only when the thaw failed.
 *
 * The delivery starts the moment the pod's processes run again (`onThawed`), beside the runtime's check that
 * its supervisor answers, not after it: the check is a round trip to the same thawed process, which answers both
 * in turn. When the check fails the delivery is cancelled and the resume throws as before: the message stays
 * in the workflow's buffer and goes to the cold-launched pod (should the thawed pod have stored it first, that
 * pod's state is not recorded when it is stopped, so at worst the message is answered twice, never lost).
 */
export async function resumeAndDeliver(
  ports: ResumePorts,
  input: ResumeAndDeliverInput,
  options: { signal?: AbortSignal; onPod: <T>(pod: PodHandle, call: () => Promise<T>) => Promise<T> },
): Promise<ResumedAndDelivered> {
  const { tenantId, envelope } = input;
  const startedAt = Date.now();
  const steps: Record<string, number> = {};
  const mark = (step: string) => (steps[step] ??= Date.now() - startedAt);
  const cancel = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, cancel.signal]) : cancel.signal;
  // The head's hand-off once started: why it was not acked, or null when it was. Never rejects.
  const sent: { delivery?: Promise<string | null> } = {};
  const deliverHead = () => {
    if (!envelope || sent.delivery) return;
    sent.delivery = options
      .onPod(input.pod, () => ports.agent.deliver(input.pod, envelope, { signal }))
      .then(
        () => (mark('acked'), null),
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
  };
  let pod: PodHandle;
  try {
    pod = await ports.runtime.resume(input.pod, {
      signal: options.signal,
      onThawed: () => (mark('thawed'), deliverHead()),
    });
  } catch (error) {
    cancel.abort();
    await sent.delivery; // settled: nothing of a failed resume is left running
    throw error;
  }
  mark('ready');
  deliverHead(); // a runtime that did not call back: from here
  const published = ports.endpoints.publish(tenantId, pod, input.ttlMs).then(
    () => true,
    (error: unknown) => (note('warn', 'endpoint not published after the resume', { tenantId, error }), false),
  );
  const deliveryFailure = (await sent.delivery) ?? null;
  if (deliveryFailure !== null)
    note('warn', 'delivery after the resume failed', {
      tenantId,
      dedupeId: envelope?.dedupeId,
      error: deliveryFailure,
    });
  // One line per resume with where its time went (ms from the activity's start): bench/resume-trace.ts reads it.
  note('info', 'pod resumed', {
    tenantId,
    podId: pod.podId,
    dedupeId: envelope?.dedupeId,
    startedAt,
    ...steps,
  });
  return { pod, deliveryFailure, endpointPublished: await published };
}

/** The activity's logger; called outside an activity (unit tests of the ports), there is none to write to. */
function note(level: 'info' | 'warn', message: string, attrs: Record<string, unknown>): void {
  try {
    Context.current();
  } catch {
    return;
  }
  log[level](message, attrs);
}
