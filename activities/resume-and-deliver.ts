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
 */
export async function resumeAndDeliver(
  ports: ResumePorts,
  input: ResumeAndDeliverInput,
  options: { signal?: AbortSignal; onPod: <T>(pod: PodHandle, call: () => Promise<T>) => Promise<T> },
): Promise<ResumedAndDelivered> {
  const { tenantId, envelope } = input;
  const pod = await ports.runtime.resume(input.pod, { signal: options.signal });
  note('info', 'pod resumed', { tenantId, podId: pod.podId });
  const published = ports.endpoints.publish(tenantId, pod, input.ttlMs).then(
    () => true,
    (error: unknown) => (note('warn', 'endpoint not published after the resume', { tenantId, error }), false),
  );
  let deliveryFailure: string | null = null;
  if (envelope) {
    try {
      await options.onPod(pod, () => ports.agent.deliver(pod, envelope, { signal: options.signal }));
      note('info', 'message delivered', { tenantId, dedupeId: envelope.dedupeId });
    } catch (error) {
      deliveryFailure = error instanceof Error ? error.message : String(error);
      note('warn', 'delivery after the resume failed', { tenantId, dedupeId: envelope.dedupeId, error });
    }
  }
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
