/**
 * Ports: what the tenant activities need from the outside world. Adapters
 * (local processes, Kubernetes, S3, DynamoDB, Redis, the pod supervisor's
 * HTTP API) implement these at the edge; activities never know which one
 * they got. Every method must be safe to call again after a timeout, which
 * is what makes the activities idempotent:
 *
 * - create-conflict means adopt (same pod id already exists: return it),
 * - delete-missing means success,
 * - the snapshot pointer only ever moves forward (a stale write is a no-op).
 *
 * Secrets never pass through here as values, except inside `SecretStore`
 * adapters; workflows and pod specs carry references only.
 */
import type { QuotaOverrides, Quotas, Tier } from '../common/quotas.js';
import type {
  AgentActivity,
  Envelope,
  PodHandle,
  RegistryStatus,
  SnapshotManifest,
  TenantTier,
  WebhookRegistered,
} from '../workflows/types.js';

export type {
  AgentActivity,
  Envelope,
  PodHandle,
  SnapshotManifest,
  WebhookRegistered,
} from '../workflows/types.js';

/** Options every potentially slow call accepts; aborts when the activity is cancelled. */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

/** A resume's options: see `RuntimePort.resume`. */
export interface ResumeOptions extends CallOptions {
  /**
   * Called once the pod's processes run again, before the runtime has
   * confirmed that its supervisor answers (or at once for a pod already
   * ready): work that needs the thawed pod, the first delivery, starts here
   * instead of a round trip later. The resume still fails when the
   * supervisor does not answer, and the caller then treats that work as
   * not done.
   */
  readonly onThawed?: () => void;
}

/** Everything a runtime needs to start one tenant agent. */
export interface PodSpec {
  readonly tenantId: string;
  /** Deterministic (`<tenantId>-<generation>`): launching an existing pod id adopts it. */
  readonly podId: string;
  readonly tier: TenantTier;
  readonly openclawVersion: string;
  /** Snapshot to restore, or null for a brand-new tenant. */
  readonly snapshotSeq: number | null;
  /** Name under which the runtime finds the tenant's secrets (never the values). */
  readonly secretRef: string;
}

export interface PodStatus {
  readonly podId: string;
  /** `paused`: frozen in memory (runtime `pause`), serving nothing until `resume`. */
  readonly state: 'starting' | 'ready' | 'paused' | 'stopping' | 'gone';
}

/** One pod the runtime holds now, as `capacity()` reports it. */
export interface RuntimePod extends PodHandle {
  readonly tenantId: string;
  readonly state: PodStatus['state'];
  /** When a paused pod was paused (ISO): the capacity gate's eviction order among paused tenants. */
  readonly pausedAt?: string;
}

/** What the runtime can hold and holds now: the facts eviction is decided on (above the runtime). */
export interface RuntimeCapacity {
  /** Most pods at once, or null when the runtime has no fixed limit (a cluster scheduler decides). */
  readonly max: number | null;
  /** Launches waiting for a place right now. */
  readonly waiting: number;
  readonly pods: readonly RuntimePod[];
}

/**
 * A runtime driver's contract. It reports facts and decides nothing durable:
 * the snapshot a stop produced comes back to the caller (the stop activity
 * records it), a dead pod is reported through `RuntimeEvents`, and a full
 * host answers `launch` with `RuntimeAtCapacityError` instead of choosing a
 * tenant to evict.
 */
export interface RuntimePort {
  /** Start (or adopt) the pod and resolve once its supervisor answers. */
  launch(spec: PodSpec, options?: CallOptions): Promise<PodHandle>;
  /**
   * Drain the pod (its supervisor stops OpenClaw and takes the final snapshot),
   * then remove it. Returns that snapshot, or for a pod that died on its own the
   * state it left (salvaged), or null when there is nothing newer to keep. A
   * missing pod is success (null).
   */
  stop(handle: PodHandle, options: { graceMs: number } & CallOptions): Promise<SnapshotManifest | null>;
  describe(handle: PodHandle): Promise<PodStatus>;
  capacity(): Promise<RuntimeCapacity>;
  /**
   * Freeze the ready pod in memory: no CPU, same processes, same place. False
   * when this runtime cannot pause (Kubernetes) and nothing was done: the
   * caller stops the pod instead. Pausing a paused pod is success.
   */
  pause(handle: PodHandle, options?: CallOptions): Promise<boolean>;
  /**
   * Thaw a paused pod and resolve once its supervisor answers; a ready pod is
   * success. Rejects when the pod is gone or does not answer (the caller
   * stops it and launches cold).
   */
  resume(handle: PodHandle, options?: ResumeOptions): Promise<PodHandle>;
}

/** Facts a runtime reports on its own (the worker turns them into workflow signals). */
export interface RuntimeEvents {
  /** The pod died or was removed without a stop; stale pod ids are ignored by the workflow. */
  podLost(tenantId: string, podId: string, reason: string): Promise<void>;
  /**
   * The agent's files filled the pod's disk and its reserve was released so
   * OpenClaw keeps answering (`detail` says so), or (null) the reserve is held
   * again. Only a driver whose disks keep a reserve reports it (the local sandbox).
   */
  diskFull?(tenantId: string, podId: string, detail: string | null): Promise<void>;
}

/** The per-tenant supervisor, reached at `PodHandle.endpoint`. */
export interface AgentPort {
  /** Resolves only after OpenClaw's durable ack; the supervisor dedupes by `envelope.dedupeId`. */
  deliver(handle: PodHandle, envelope: Envelope, options?: CallOptions): Promise<void>;
  activity(handle: PodHandle): Promise<AgentActivity>;
  /** Writes a consistent snapshot to the snapshot store and returns its manifest. */
  snapshot(handle: PodHandle, options?: CallOptions): Promise<SnapshotManifest>;
}

export interface SnapshotStore {
  latest(tenantId: string): Promise<SnapshotManifest | null>;
  list(tenantId: string): Promise<SnapshotManifest[]>;
  /**
   * Keep the newest `keep` complete snapshots at or below `latestSeq` (the
   * registry pointer, never pruned) and delete older ones; returns the deleted seqs.
   */
  prune(tenantId: string, keep: number, latestSeq: number): Promise<number[]>;
  /**
   * Save complete snapshot `seq` again as a new snapshot above `latestSeq` and
   * every stored seq (not recorded: the caller records it). A missing or
   * incomplete `seq` is a PermanentPortError.
   */
  copyAsNewest(tenantId: string, seq: number, latestSeq: number | null): Promise<SnapshotManifest>;
  /** Deletes every snapshot of the tenant; nothing to delete is success. */
  deleteAll(tenantId: string): Promise<void>;
}

export interface TenantRecord {
  readonly tenantId: string;
  readonly latestSnapshotSeq: number | null;
}

export interface UsageRecord {
  readonly from: string;
  readonly to: string;
  readonly activeMs: number;
  /** Messages the workflow delivered (the router's count of the day replaces it when there is one). */
  readonly messages: number;
  /** 1 when the interval began with a wake. @default 0 */
  readonly wakes?: number;
}

export interface Registry {
  getTenant(tenantId: string): Promise<TenantRecord | null>;
  /** The administrative status the router checks; written only by the tenant workflow (through an activity). */
  setStatus(tenantId: string, status: RegistryStatus): Promise<unknown>;
  /** Conditional write: moves `latestSnapshotSeq` forward only; an older seq is a no-op, not an error. */
  advanceSnapshotPointer(tenantId: string, seq: number): Promise<void>;
  /** A missing record is success. */
  deleteTenant(tenantId: string): Promise<void>;
  /** Idempotent per (tenantId, from): a retried write replaces, never adds. */
  recordUsage(tenantId: string, usage: UsageRecord): Promise<void>;
  /** The tenant's tier and own quotas, or null when it has no record. */
  quotaOf(tenantId: string): Promise<{ tier: Tier; quotas: QuotaOverrides } | null>;
  /** The quotas that refused the tenant on a UTC day (registry/quota-hits.ts), most recent first. */
  quotaHits(
    tenantId: string,
    day: string,
  ): Promise<readonly { kind: string; lastAt: string; limit: number; hits: number }[]>;
  /** Active time recorded for the tenant on a UTC day (intervals starting that day). */
  activeMsOn(tenantId: string, day: string): Promise<number>;
  /** The router's message count of a UTC day; only ever raises the stored one. */
  recordDayMessages(tenantId: string, day: string, messages: number): Promise<void>;
}

/** The router's hot-path lookup (Redis in production). */
export interface EndpointCache {
  /** The pod's address and id: the router signs each forward for that pod, so no other pod accepts it. */
  publish(tenantId: string, pod: PodHandle, ttlMs: number): Promise<void>;
  /** A missing entry is success. */
  clear(tenantId: string): Promise<void>;
  /** The published endpoint, or null (asleep, or draining: a drain clears it first). */
  lookup(tenantId: string): Promise<string | null>;
  /** The router's message counts (router/message-counter.ts) of UTC days, by day; days never counted are absent. */
  messageCounts(tenantId: string, days: readonly string[]): Promise<Record<string, number>>;
  /** Drop every router's cached view of the tenant (status, credential hashes) so a change applies at once. */
  invalidateTenantView(tenantId: string): Promise<void>;
}

export interface SecretStore {
  /** Names only, for offboarding dry runs. */
  list(tenantId: string): Promise<string[]>;
  /** A tenant without secrets is success. */
  deleteAll(tenantId: string): Promise<void>;
}

/**
 * The tenant's Telegram webhook, registered by the control plane so a
 * sleeping tenant receives its first message. Tokens and the webhook secret
 * are resolved inside the adapter; only tenant ids cross this port.
 */
export interface TelegramWebhookPort {
  /**
   * `setWebhook` with the stored bot token: the tenant's public URL, its
   * stored webhook secret and OpenClaw's `allowed_updates`. Null when the
   * tenant has no bot token. A token Telegram refuses is a PermanentPortError.
   */
  register(tenantId: string, options?: CallOptions): Promise<WebhookRegistered | null>;
  /** Accept only the secret behind `secretHash` (what Telegram holds) and the stored one from now on. */
  confirm(tenantId: string, secretHash: string): Promise<void>;
  /**
   * `deleteWebhook` for bots the tenant no longer uses (replaced tokens), or
   * with `everyBot` for its current bot too (offboarding). A token Telegram
   * rejects has nothing registered any more: done. Returns how many bots.
   */
  unregister(tenantId: string, options?: { everyBot?: boolean } & CallOptions): Promise<number>;
}

export interface ActivitySettings {
  /** Complete snapshots kept per tenant after each recorded one. */
  readonly snapshotRetention: number;
  /** How long a stop waits for the drain and the pod to go (common/grace.ts `runtimeStopMs`). */
  readonly stopWaitMs: number;
  /**
   * How long an idle tenant stays paused (frozen in memory) before it sleeps
   * fully (`CLAWFLEET_DEEP_SLEEP_AFTER`); 0 or absent: idle tenants sleep at once.
   */
  readonly deepSleepAfterMs?: number;
  /** Quota defaults per tier (common/quotas.ts, `CLAWFLEET_TIER_QUOTAS`). @default the built-in ones */
  readonly tierQuotas?: Readonly<Record<Tier, Quotas>>;
}

/** What the activities count for the worker's Prometheus metrics (worker/metrics.ts); bounded labels only. */
export interface ActivityMetrics {
  /** A launch (a wake) ended: `restore` started from a snapshot, `fresh` from no state. */
  wake(path: 'restore' | 'fresh', outcome: 'ok' | 'failed', seconds: number): void;
  /** A snapshot was recorded: `periodic` (the pod kept running) or `final` (its drain or a salvage). */
  snapshot(kind: 'periodic' | 'final', bytes: number): void;
  /** An idle tenant was picked to sleep so that another could wake on a full host. */
  eviction(): void;
}

export interface ActivityDeps {
  readonly settings: ActivitySettings;
  readonly runtime: RuntimePort;
  readonly agent: AgentPort;
  readonly snapshots: SnapshotStore;
  readonly registry: Registry;
  readonly endpoints: EndpointCache;
  readonly secrets: SecretStore;
  readonly telegram: TelegramWebhookPort;
  /** @default counts nothing */
  readonly metrics?: ActivityMetrics;
}
