/**
 * Tenant activities, built from ports by `createActivities(deps)`. Each one is
 * idempotent (see ports.ts for the contract that makes it so) and logs with
 * the tenant id. Inputs and results are plain JSON and never hold secrets.
 */
import { log } from '@temporalio/activity';
import type {
  AgentActivity,
  Envelope,
  PodHandle,
  RegistryStatus,
  SnapshotManifest,
} from '../workflows/types.js';
import { guarded } from './activity-boundary.js';
import type { LaunchInput, PodRef, TenantRef } from './activity-inputs.js';
import { PermanentPortError } from './errors.js';
import type { ActivityDeps, ActivityMetrics } from './ports.js';
import {
  resumeAndDeliver,
  type ResumeAndDeliverInput,
  type ResumedAndDelivered,
} from './resume-and-deliver.js';
import { pickSleepCandidate, type SleepCandidate } from './sleep-candidate.js';
import { createTenantDataActivities } from './tenant-data-activities.js';
import { createUsageActivities } from './usage-activities.js';

export type { ActivityDeps } from './ports.js';
export type { FleetActivities } from './fleet.js';
export type { ResumedAndDelivered } from './resume-and-deliver.js';
export type { OffboardInventory } from './tenant-data-activities.js';
export type { ActiveAllowance } from './usage-activities.js';
export type { LaunchInput, PodRef, TenantRef } from './activity-inputs.js';

const NO_METRICS: ActivityMetrics = {
  wake: () => undefined,
  snapshot: () => undefined,
  eviction: () => undefined,
};

export function createActivities(deps: ActivityDeps) {
  const { runtime, agent, snapshots, registry, endpoints, settings } = deps;
  const metrics = deps.metrics ?? NO_METRICS;

  /**
   * A call to the pod's supervisor. Once the runtime has seen the pod die, a
   * failed call is not retried: the pod-lost signal is in the workflow's
   * history by then, and its crash path relaunches at once instead of waiting
   * out this activity's retries (seconds that delayed every queued message).
   */
  async function onPod<T>(pod: PodHandle, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof PermanentPortError) throw error;
      const status = await runtime.describe(pod).catch(() => null);
      if (status?.state === 'gone')
        throw new PermanentPortError('POD_GONE', `pod ${pod.podId} is gone`, { cause: error });
      throw error;
    }
  }

  /**
   * The one place the snapshot pointer moves (forward only), followed by
   * pruning to the retention. A failed prune is retried after the next
   * snapshot; it must not fail the recording that preceded it.
   */
  async function record(tenantId: string, manifest: SnapshotManifest): Promise<void> {
    await registry.advanceSnapshotPointer(tenantId, manifest.seq);
    const pruned = await snapshots
      .prune(tenantId, settings.snapshotRetention, manifest.seq)
      .catch((err: unknown) => (log.warn('snapshot prune failed', { tenantId, err }), []));
    log.info('snapshot recorded', { tenantId, seq: manifest.seq, size: manifest.size, pruned });
  }

  /**
   * The pointer, caught up with the newest complete snapshot in the store. A
   * snapshot newer than the pointer was written after everything the pointer
   * names (seqs only grow) by a drain whose stop never came back to an
   * activity: the worker died mid-stop, a pod was deleted outside a stop, or
   * the runtime replaced or closed a pod. Recording it here keeps that state.
   */
  async function catchUpPointer(tenantId: string): Promise<number | null> {
    const [tenant, newest] = await Promise.all([registry.getTenant(tenantId), snapshots.latest(tenantId)]);
    const pointer = tenant?.latestSnapshotSeq ?? null;
    if (!newest || newest.seq <= (pointer ?? 0)) return pointer;
    log.info('recording a drained snapshot no stop recorded', { tenantId, seq: newest.seq, pointer });
    await record(tenantId, newest);
    return newest.seq;
  }

  return {
    ...createUsageActivities(deps),
    ...createTenantDataActivities(deps),

    /** Start or adopt pod `podId`, restoring the newest snapshot (recorded first if it was not). */
    async launchPod(input: LaunchInput): Promise<PodHandle> {
      const started = performance.now();
      let path: 'restore' | 'fresh' = input.snapshotSeq === null ? 'fresh' : 'restore';
      try {
        const handle = await guarded(async (signal) => {
          const pointer = await catchUpPointer(input.tenantId);
          const snapshotSeq =
            pointer === null ? input.snapshotSeq : Math.max(pointer, input.snapshotSeq ?? pointer);
          if (snapshotSeq !== null) path = 'restore';
          const spec = { ...input, snapshotSeq, secretRef: `tenant/${input.tenantId}` };
          const handle = await runtime.launch(spec, { signal });
          log.info('pod ready', { tenantId: input.tenantId, podId: handle.podId, snapshotSeq });
          return handle;
        });
        metrics.wake(path, 'ok', (performance.now() - started) / 1000);
        return handle;
      } catch (error) {
        metrics.wake(path, 'failed', (performance.now() - started) / 1000);
        throw error;
      }
    },

    /** Drain and stop; the final (or salvaged) snapshot the runtime returns is recorded here. */
    async stopPod(input: PodRef): Promise<SnapshotManifest | null> {
      return guarded(async (signal) => {
        const manifest = await runtime.stop(input.pod, { graceMs: settings.stopWaitMs, signal });
        if (manifest) {
          await record(input.tenantId, manifest);
          metrics.snapshot('final', manifest.size);
        }
        log.info('pod stopped', { tenantId: input.tenantId, podId: input.pod.podId, seq: manifest?.seq });
        return manifest;
      });
    },

    /**
     * Freeze the idle pod in memory (its final snapshot is recorded already):
     * how long it may stay paused before it sleeps fully, or null when it was
     * not paused (the paused tier is off, or the runtime cannot pause: stop it).
     */
    async pausePod(input: PodRef): Promise<{ deepSleepAfterMs: number } | null> {
      return guarded(async (signal) => {
        const deepSleepAfterMs = settings.deepSleepAfterMs ?? 0;
        if (deepSleepAfterMs <= 0) return null;
        if (!(await runtime.pause(input.pod, { signal }))) return null;
        log.info('pod paused', { tenantId: input.tenantId, podId: input.pod.podId, deepSleepAfterMs });
        return { deepSleepAfterMs };
      });
    },

    /** Thaw the paused pod; resolves once its supervisor answers (a failure means: launch cold). */
    async resumePod(input: PodRef): Promise<PodHandle> {
      return guarded(async (signal) => {
        const handle = await runtime.resume(input.pod, { signal });
        log.info('pod resumed', { tenantId: input.tenantId, podId: handle.podId });
        return handle;
      });
    },

    /** Thaw, then deliver the buffered head and publish the endpoint in one go (resume-and-deliver.ts). */
    async resumeAndDeliver(input: ResumeAndDeliverInput): Promise<ResumedAndDelivered> {
      return guarded((signal) => resumeAndDeliver({ runtime, agent, endpoints }, input, { signal, onPod }));
    },

    /**
     * The host is full: the least recently active idle tenant other than the
     * caller, for its workflow to ask to sleep; null when every awake tenant is
     * busy, or room is already on its way (drains under way cover the waiters).
     */
    async findSleepCandidate(input: TenantRef): Promise<SleepCandidate | null> {
      return guarded(async () => {
        const candidate = await pickSleepCandidate({ runtime, agent, endpoints }, input.tenantId);
        if (candidate !== null) metrics.eviction();
        return candidate;
      });
    },

    async publishEndpoint(input: PodRef & { ttlMs: number }): Promise<void> {
      await guarded(() => endpoints.publish(input.tenantId, input.pod, input.ttlMs));
    },

    async clearEndpoint(input: TenantRef): Promise<void> {
      await guarded(() => endpoints.clear(input.tenantId));
    },

    /** Hand one message to the agent; resolves after OpenClaw's durable ack (deduped by the supervisor). */
    async deliverMessage(input: PodRef & { envelope: Envelope }): Promise<void> {
      await guarded((signal) => onPod(input.pod, () => agent.deliver(input.pod, input.envelope, { signal })));
      log.info('message delivered', { tenantId: input.tenantId, dedupeId: input.envelope.dedupeId });
    },

    async readAgentActivity(input: PodRef): Promise<AgentActivity> {
      return guarded(() => onPod(input.pod, () => agent.activity(input.pod)));
    },

    /** Take a consistent snapshot, advance the registry pointer (forward only) and prune. */
    async takeSnapshot(input: PodRef): Promise<SnapshotManifest> {
      return guarded(async (signal) => {
        const manifest = await onPod(input.pod, () => agent.snapshot(input.pod, { signal }));
        await record(input.tenantId, manifest);
        metrics.snapshot('periodic', manifest.size);
        return manifest;
      });
    },

    /** The registry status the workflow decided, then every router's cached view dropped (takes effect at once). */
    async setRegistryStatus(input: TenantRef & { status: RegistryStatus }): Promise<void> {
      await guarded(async () => {
        try {
          await registry.setStatus(input.tenantId, input.status);
        } catch (error) {
          // No record to hold a status (never registered, or deleted): nothing for the router to refuse from.
          if ((error as { code?: string }).code !== 'TENANT_NOT_FOUND') throw error;
          log.warn('no registry record for the status', { tenantId: input.tenantId, status: input.status });
        }
        await endpoints.invalidateTenantView(input.tenantId);
      });
    },

    /** An operator's restore: snapshot `seq` saved again as the newest, then recorded like any other. */
    async restoreSnapshot(input: TenantRef & { seq: number }): Promise<SnapshotManifest> {
      return guarded(async () => {
        const tenant = await registry.getTenant(input.tenantId);
        const manifest = await snapshots.copyAsNewest(
          input.tenantId,
          input.seq,
          tenant?.latestSnapshotSeq ?? null,
        );
        await record(input.tenantId, manifest);
        return manifest;
      });
    },
  };
}

export type TenantActivities = ReturnType<typeof createActivities>;
