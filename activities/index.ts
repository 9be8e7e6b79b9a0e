/**
 * Tenant activities, built from ports by `createActivities(deps)`. Each one is
 * idempotent (see ports.ts for the contract that makes it so) and logs with
 * the tenant id. Inputs and results are plain JSON and never hold secrets.
 */
import { Context, log } from '@temporalio/activity';
import type {
  AgentActivity,
  Envelope,
  PodHandle,
  RegistryStatus,
  SnapshotManifest,
  TenantTier,
} from '../workflows/types.js';
import { BUILT_IN_TIER_QUOTAS, effectiveQuotas } from '../common/quotas.js';
import { PermanentPortError, toActivityFailure } from './errors.js';
import type { ActivityDeps, ActivityMetrics, UsageRecord, WebhookRegistered } from './ports.js';
import {
  resumeAndDeliver,
  type ResumeAndDeliverInput,
  type ResumedAndDelivered,
} from './resume-and-deliver.js';
import { pickSleepCandidate, type SleepCandidate } from './sleep-candidate.js';
import { quotaHitLine } from '../workflows/shared.js';

export type { ActivityDeps } from './ports.js';
export type { FleetActivities } from './fleet.js';
export type { ResumedAndDelivered } from './resume-and-deliver.js';

export interface TenantRef {
  readonly tenantId: string;
}
export interface PodRef extends TenantRef {
  readonly pod: PodHandle;
}
export interface LaunchInput extends TenantRef {
  readonly podId: string;
  readonly tier: TenantTier;
  readonly openclawVersion: string;
  /** The workflow's last recorded snapshot; the registry pointer wins if it is newer. */
  readonly snapshotSeq: number | null;
}
export interface ActiveAllowance {
  readonly limitSeconds: number;
  /** Active time already recorded today (before the current wake). */
  readonly usedMs: number;
}
export interface OffboardInventory {
  readonly snapshots: SnapshotManifest[];
  readonly secretNames: string[];
  readonly registryRecord: boolean;
}

/** Well inside the heartbeat timeouts of workflows/activity-proxies.ts (5 s and 10 s). */
const HEARTBEAT_EVERY_MS = 2_000;
const NO_METRICS: ActivityMetrics = {
  wake: () => undefined,
  snapshot: () => undefined,
  eviction: () => undefined,
};

/** Heartbeats while `work` runs, and maps permanent port errors at the boundary. */
async function guarded<T>(work: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  const ctx = safeContext();
  const timer = ctx ? setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS) : undefined;
  try {
    return await work(ctx?.cancellationSignal);
  } catch (error) {
    throw toActivityFailure(error);
  } finally {
    if (timer) clearInterval(timer);
  }
}

function safeContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity (plain unit tests)
  }
}

/** UTC days from `from` to `to` inclusive (at most 8: the router's counts live 8 days). */
function utcDays(from: string, to: string): string[] {
  const days: string[] = [];
  const last = to.slice(0, 10);
  for (let t = Date.parse(from.slice(0, 10)); days.length < 8; t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    if (day > last) break;
    days.push(day);
  }
  return days;
}

export function createActivities(deps: ActivityDeps) {
  const { runtime, agent, snapshots, registry, endpoints, secrets, settings, telegram } = deps;
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

    /**
     * The active interval (replacing an earlier report of the same interval),
     * then the router's message counts of the interval's days, copied so they
     * outlive Redis (the day's count covers hot-path messages the workflow never saw).
     */
    async recordUsage(input: TenantRef & { usage: UsageRecord }): Promise<string | null> {
      return guarded(async () => {
        await registry.recordUsage(input.tenantId, input.usage);
        const days = utcDays(input.usage.from, input.usage.to);
        const counts = await endpoints.messageCounts(input.tenantId, days);
        for (const [day, messages] of Object.entries(counts))
          await registry.recordDayMessages(input.tenantId, day, messages);
        // Which quota refused the tenant today (gateway, router), for the workflow's current details.
        const [hit] = await registry.quotaHits(input.tenantId, days.at(-1)!);
        return hit
          ? quotaHitLine({ kind: hit.kind, limit: hit.limit, at: hit.lastAt, hits: hit.hits })
          : null;
      });
    },

    /**
     * What is left of today's `activeSecondsPerDay` before this wake (the
     * intervals recorded today); null when the tenant has no record.
     */
    async activeAllowance(input: TenantRef & { day: string }): Promise<ActiveAllowance | null> {
      return guarded(async () => {
        const own = await registry.quotaOf(input.tenantId);
        if (!own) return null;
        const { activeSecondsPerDay } = effectiveQuotas(
          settings.tierQuotas ?? BUILT_IN_TIER_QUOTAS,
          own.tier,
          own.quotas,
        );
        const usedMs = await registry.activeMsOn(input.tenantId, input.day);
        return { limitSeconds: activeSecondsPerDay, usedMs };
      });
    },

    /** What an offboard would delete (names and manifests only, never secret values). */
    async inventoryTenant(input: TenantRef): Promise<OffboardInventory> {
      return guarded(async () => {
        const [manifests, secretNames, record] = await Promise.all([
          snapshots.list(input.tenantId),
          secrets.list(input.tenantId),
          registry.getTenant(input.tenantId),
        ]);
        return { snapshots: manifests, secretNames, registryRecord: record !== null };
      });
    },

    /**
     * The tenant's Telegram webhook made current: replaced bots' webhooks
     * deleted, then the current bot registered with the current secret.
     * Tokens and the secret never leave the adapter.
     */
    async syncTelegramWebhook(input: TenantRef): Promise<{ registered: WebhookRegistered | null }> {
      return guarded(async (signal) => {
        const removed = await telegram.unregister(input.tenantId, { signal });
        const registered = await telegram.register(input.tenantId, { signal });
        log.info('telegram webhook synced', { tenantId: input.tenantId, url: registered?.url, removed });
        return { registered };
      });
    },

    /** Telegram holds the secret behind `secretHash` (and nothing older): the router accepts only it and the stored one. */
    async confirmWebhookSecret(input: TenantRef & { secretHash: string }): Promise<void> {
      await guarded(async () => {
        await telegram.confirm(input.tenantId, input.secretHash);
        await endpoints.invalidateTenantView(input.tenantId);
      });
    },

    /** Offboarding: no bot of the tenant keeps calling a tenant that is gone. */
    async deleteTelegramWebhooks(input: TenantRef): Promise<number> {
      return guarded(async (signal) => {
        const removed = await telegram.unregister(input.tenantId, { everyBot: true, signal });
        log.info('telegram webhooks deleted', { tenantId: input.tenantId, removed });
        return removed;
      });
    },

    async deleteSnapshots(input: TenantRef): Promise<void> {
      await guarded(() => snapshots.deleteAll(input.tenantId));
    },

    async deleteSecrets(input: TenantRef): Promise<void> {
      await guarded(() => secrets.deleteAll(input.tenantId));
    },

    async deleteRegistryRecord(input: TenantRef): Promise<void> {
      await guarded(() => registry.deleteTenant(input.tenantId));
      log.info('tenant deleted', { tenantId: input.tenantId });
    },
  };
}

export type TenantActivities = ReturnType<typeof createActivities>;
