/**
 * In-memory ports for workflow tests only: a tiny fake of the runtime, the
 * agent, the stores and the registry, recording every call in order so tests
 * can assert what happened ("snapshot 2" before "stop acme-1").
 */
/* eslint-disable @typescript-eslint/require-await -- in-memory fakes of async ports */
import type { ActivityDeps } from '../../activities/ports.js';
import { PermanentPortError } from '../../activities/errors.js';
import { RuntimeAtCapacityError } from '../../runtime/errors.js';
import type { AgentActivity, Envelope, PodHandle, SnapshotManifest } from '../../workflows/types.js';

export class FakeWorld {
  /** Ordered log: 'launch acme-1 from 3', 'deliver m1', 'snapshot 4', 'stop acme-1', 'clear', ... */
  readonly events: string[] = [];
  readonly delivered: Envelope[] = [];
  readonly pods = new Map<string, PodHandle>();
  readonly manifests: SnapshotManifest[] = [];
  readonly usage: { activeMs: number; messages: number; wakes: number }[] = [];
  /** The tenant's own quotas as the registry holds them (activeAllowance reads them). */
  quotas: Record<string, number> = {};
  /** Quota refusals the registry holds for today. */
  quotaHits: { kind: string; lastAt: string; limit: number; hits: number }[] = [];
  /** Active time the registry holds for today before a wake. */
  activeMsToday = 0;
  pointer: number | null = null;
  endpoint: string | null = null;
  registryRecord = true;
  /** The registry status as the workflow last wrote it. */
  status = 'active';
  secretNames = ['telegram-bot-token', 'gateway-token'];
  agent: AgentActivity = { inFlightRuns: 0, lastActiveAt: null, nextScheduledAt: null };
  /** While set, launches wait for it (lets a test act while the tenant is waking). */
  launchGate: Promise<void> | null = null;
  /** Launch failures to throw before succeeding; 'permanent' throws a PermanentPortError. */
  launchFailure: 'none' | 'permanent' = 'none';
  /** While set, snapshots fail with this message (a pod that died under them). */
  snapshotFailure: string | null = null;
  /** Launches to refuse as a full host would (RuntimeAtCapacityError) before one succeeds. */
  atCapacity = 0;
  /** The paused tier's deep-sleep timeout the worker settings hold (0: idle tenants sleep at once). */
  deepSleepAfterMs = 0;
  /** Pods frozen in memory (pause), by pod id, with the time they were paused. */
  readonly paused = new Map<string, number>();
  /** While set, resumes fail with this message (a pod that does not answer after its thaw). */
  resumeFailure: string | null = null;
  /** While set, resumes thaw the pod (`onThawed` is called) and then fail with this message (its check failed). */
  readyFailure: string | null = null;
  /** Deliveries to fail (a pod that answers but does not ack) before they succeed again. */
  deliveryFailures = 0;
  /** Endpoint publishes to fail (the cache unreachable) before they succeed again. */
  publishFailures = 0;
  /** Seqs pruned, in order. */
  readonly pruned: number[] = [];
  private seq = 0;

  constructor(readonly tenantId: string) {}

  count(prefix: string): number {
    return this.events.filter((e) => e.startsWith(prefix)).length;
  }

  deps(): ActivityDeps {
    return {
      settings: { snapshotRetention: 3, stopWaitMs: 35_000, deepSleepAfterMs: this.deepSleepAfterMs },
      runtime: {
        launch: async (spec) => {
          if (this.launchGate) await this.launchGate;
          if (this.launchFailure === 'permanent')
            throw new PermanentPortError('VERSION_UNKNOWN', `no OpenClaw ${spec.openclawVersion}`);
          if (this.atCapacity > 0) {
            this.atCapacity -= 1;
            this.events.push(`full ${spec.podId}`);
            throw new RuntimeAtCapacityError(1, 10);
          }
          const existing = this.pods.get(spec.podId);
          this.events.push(
            `${existing ? 'adopt' : 'launch'} ${spec.podId} from ${spec.snapshotSeq ?? 'scratch'}`,
          );
          const handle = existing ?? {
            podId: spec.podId,
            endpoint: `http://127.0.0.9:${18000 + this.pods.size}`,
            // What the local runtime reports of its sandbox (local/sandbox/sandbox-view.ts, isolationLine).
            isolation: `sandbox uid ${200_002 + this.pods.size}: memory 3072 MiB, 2 cores, 512 pids, disk 5120 MiB`,
          };
          this.pods.set(spec.podId, handle);
          return handle;
        },
        // Like a real drain: a running pod's stop returns its final snapshot, taken after the agent stopped.
        // A paused pod is removed without a drain: its snapshot was taken before it froze.
        stop: async (handle) => {
          const frozen = this.paused.delete(handle.podId);
          const running = this.pods.delete(handle.podId);
          this.events.push(`stop ${handle.podId}`);
          return running && !frozen ? this.newManifest() : null;
        },
        pause: async (handle) => {
          if (!this.pods.has(handle.podId)) throw new Error(`no pod ${handle.podId}`);
          this.events.push(`pause ${handle.podId}`);
          this.paused.set(handle.podId, Date.now());
          return true;
        },
        resume: async (handle, options) => {
          this.events.push(`resume ${handle.podId}`);
          if (this.resumeFailure) throw new Error(this.resumeFailure);
          if (!this.pods.has(handle.podId)) throw new Error(`no pod ${handle.podId}`);
          options?.onThawed?.();
          await Promise.resolve(); // the check's round trip: what onThawed started runs meanwhile
          if (this.readyFailure) throw new Error(this.readyFailure);
          this.paused.delete(handle.podId);
          return handle;
        },
        capacity: async () => ({
          max: 1,
          waiting: 0,
          pods: [...this.pods.values()].map((p) => ({
            ...p,
            tenantId: this.tenantId,
            state: this.paused.has(p.podId) ? ('paused' as const) : ('ready' as const),
          })),
        }),
        describe: async (handle) => ({
          podId: handle.podId,
          state: this.pods.has(handle.podId) ? 'ready' : 'gone',
        }),
      },
      agent: {
        deliver: async (_handle, envelope) => {
          this.events.push(`deliver ${envelope.dedupeId}`);
          if (this.deliveryFailures > 0) {
            this.deliveryFailures -= 1;
            throw new Error(`no ack for ${envelope.dedupeId}`);
          }
          if (!this.delivered.some((e) => e.dedupeId === envelope.dedupeId)) this.delivered.push(envelope);
        },
        activity: async () => {
          this.events.push('activity');
          return this.agent;
        },
        snapshot: async () => {
          if (this.snapshotFailure) throw new Error(this.snapshotFailure);
          const manifest = this.newManifest();
          this.events.push(`snapshot ${manifest.seq}`);
          return manifest;
        },
      },
      snapshots: {
        latest: async () => this.manifests.at(-1) ?? null,
        list: async () => [...this.manifests],
        prune: async (_tenantId, keep, latestSeq) => {
          const doomed = this.manifests.filter((m) => m.seq <= latestSeq).slice(0, -keep);
          for (const m of doomed) this.manifests.splice(this.manifests.indexOf(m), 1);
          this.pruned.push(...doomed.map((m) => m.seq));
          return doomed.map((m) => m.seq);
        },
        copyAsNewest: async (_tenantId, seq) => {
          if (!this.manifests.some((m) => m.seq === seq))
            throw new PermanentPortError('SNAPSHOT_NOT_FOUND', `no snapshot ${seq}`);
          const manifest = this.newManifest();
          this.events.push(`copy ${seq} as ${manifest.seq}`);
          return manifest;
        },
        deleteAll: async () => {
          this.events.push('delete snapshots');
          this.manifests.length = 0;
        },
      },
      registry: {
        getTenant: async (tenantId) =>
          this.registryRecord ? { tenantId, latestSnapshotSeq: this.pointer } : null,
        setStatus: async (_tenantId, status) => {
          this.events.push(`status ${status}`);
          this.status = status;
        },
        advanceSnapshotPointer: async (_tenantId, seq) => {
          if (this.pointer === null || seq > this.pointer) this.pointer = seq;
        },
        deleteTenant: async () => {
          this.events.push('delete registry record');
          this.registryRecord = false;
        },
        recordUsage: async (_tenantId, usage) => {
          this.usage.push({ activeMs: usage.activeMs, messages: usage.messages, wakes: usage.wakes ?? 0 });
        },
        recordDayMessages: async () => undefined,
        quotaOf: async () => (this.registryRecord ? { tier: 'standard', quotas: this.quotas } : null),
        activeMsOn: async () => this.activeMsToday,
        quotaHits: async () => this.quotaHits,
      },
      endpoints: {
        publish: async (_tenantId, pod) => {
          if (this.publishFailures > 0) {
            this.publishFailures -= 1;
            throw new Error('endpoint cache unreachable');
          }
          this.endpoint = pod.endpoint;
        },
        clear: async () => {
          this.endpoint = null;
        },
        lookup: async () => this.endpoint,
        invalidateTenantView: async () => undefined,
        messageCounts: async () => ({}),
      },
      secrets: {
        list: async () => [...this.secretNames],
        deleteAll: async () => {
          this.events.push('delete secrets');
          this.secretNames = [];
        },
      },
      telegram: {
        register: async (tenantId) => {
          this.events.push('register webhook');
          return this.secretNames.includes('telegram-bot-token')
            ? { url: `http://router.test/tg/${tenantId}`, botId: 4242, secretHash: 'hash-1' }
            : null;
        },
        confirm: async (_tenantId, secretHash) => {
          this.events.push(`confirm webhook secret ${secretHash}`);
        },
        unregister: async (_tenantId, options) => {
          this.events.push(options?.everyBot ? 'delete webhooks' : 'delete replaced webhooks');
          return options?.everyBot && this.secretNames.includes('telegram-bot-token') ? 1 : 0;
        },
      },
    };
  }

  private newManifest(): SnapshotManifest {
    this.seq += 1;
    const manifest = {
      seq: this.seq,
      sha256: `sha-${this.seq}`,
      size: 1000 + this.seq,
      createdAt: new Date().toISOString(),
      openclawVersion: '2026.9.6',
    };
    this.manifests.push(manifest);
    return manifest;
  }
}

/** A Telegram-like envelope with a body of `size` bytes. */
export function envelope(dedupeId: string, size = 64): Envelope {
  return {
    channel: 'telegram',
    dedupeId,
    receivedAt: '2026-01-01T00:00:00.000Z',
    body: JSON.stringify({ update_id: dedupeId }).padEnd(size, ' '),
  };
}
