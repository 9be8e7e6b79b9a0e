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
import type { PodHandle, RegistryStatus, SnapshotManifest, WebhookRegistered } from '../workflows/types.js';
import type { AgentPort, CallOptions, RuntimePort } from './runtime-ports.js';

export type {
  AgentActivity,
  Envelope,
  PodHandle,
  SnapshotManifest,
  WebhookRegistered,
} from '../workflows/types.js';

export type * from './runtime-ports.js';

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
