/**
 * Finds pods that no tenant workflow wants and stops them, for either
 * runtime. The runtime only lists its pods (`capacity()`); whether a pod is
 * wanted is the workflow's fact (its phase and generation, read through the
 * `describe` query), so the decision is taken here, above the runtime.
 *
 * A pod is stopped only when it is older than the grace (a launch may be in
 * flight before the workflow records its pod: a Kata cold start takes
 * minutes) and was seen unwanted on two passes in a row. It is stopped like
 * any other pod, with its drain: an orphan is always its tenant's newest pod
 * (the lifecycle core replaces older generations before it starts one), so
 * its state is the tenant's newest, and the next launch activity records it.
 */
import type { Client } from '@temporalio/client';
import type { RuntimePod, RuntimePort } from '../activities/ports.js';
import type { Logger } from '../common/logger.js';
import { describeQuery, tenantWorkflowId } from '../workflows/shared.js';

export interface OrphanSweepOptions {
  readonly runtime: RuntimePort;
  /** Whether the tenant's workflow wants this pod now (by default: its `describe` query). */
  readonly isWanted: (pod: RuntimePod) => Promise<boolean>;
  readonly logger: Logger;
  /** Younger pods are never orphans. @default 15 min */
  readonly graceMs?: number;
  /** Grace the stop of an orphan gets for its drain. @default 35 s */
  readonly stopGraceMs?: number;
}

/** Phases that hold a pod: a paused tenant's frozen pod is wanted too (its next message thaws it). */
const AWAKE = ['waking', 'running', 'draining', 'paused'];

/** By generation, not by the workflow's `pod`: that is still null while its launch runs. */
export function wantedByWorkflow(client: Client): (pod: RuntimePod) => Promise<boolean> {
  return async ({ tenantId, podId }) => {
    const described = await client.workflow
      .getHandle(tenantWorkflowId(tenantId))
      .query(describeQuery)
      .catch(() => null);
    return (
      described !== null && AWAKE.includes(described.phase) && `${tenantId}-${described.generation}` === podId
    );
  };
}

export class OrphanSweep {
  private readonly firstSeen = new Map<string, number>(); // pod id -> when first seen
  private readonly suspects = new Set<string>();

  constructor(private readonly options: OrphanSweepOptions) {}

  /** One pass; returns the pod ids it stopped. */
  async pass(): Promise<string[]> {
    const { pods } = await this.options.runtime.capacity();
    const now = Date.now();
    const present = new Set(pods.map((p) => p.podId));
    for (const podId of this.firstSeen.keys()) if (!present.has(podId)) this.firstSeen.delete(podId);
    const stopped: string[] = [];
    for (const pod of pods) {
      if (!this.firstSeen.has(pod.podId)) this.firstSeen.set(pod.podId, now);
      const young = now - this.firstSeen.get(pod.podId)! < (this.options.graceMs ?? 900_000);
      if (young || pod.state === 'stopping' || (await this.options.isWanted(pod))) {
        this.suspects.delete(pod.podId);
        continue;
      }
      if (!this.suspects.has(pod.podId)) {
        this.suspects.add(pod.podId); // first sighting: maybe a launch whose workflow has not recorded the pod yet
        continue;
      }
      this.suspects.delete(pod.podId);
      this.options.logger.warn({ tenantId: pod.tenantId, podId: pod.podId }, 'orphan pod: stopping it');
      await this.options.runtime
        .stop(pod, { graceMs: this.options.stopGraceMs ?? 35_000 })
        .then(() => stopped.push(pod.podId))
        .catch((err: unknown) => this.options.logger.warn({ err, podId: pod.podId }, 'orphan stop failed'));
    }
    return stopped;
  }

  /** Runs a pass every `periodMs` until the returned function is called. */
  every(periodMs: number): () => void {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const next = () => {
      timer = setTimeout(() => {
        void this.pass()
          .catch((err: unknown) => this.options.logger.warn({ err }, 'orphan sweep failed'))
          .finally(() => !stopped && next());
      }, periodMs);
      timer.unref();
    };
    next();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }
}
