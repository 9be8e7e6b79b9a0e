/**
 * Plain-JSON types of the tenant workflow contract. Everything here crosses
 * Temporal (inputs, signals, updates, query results, continue-as-new), so it
 * holds strings, numbers, arrays and plain objects only: no Map, no Date.
 * Durations are milliseconds here; the client converts '15m' style strings.
 */
import type { VersionHealthRecord } from './version-health.js';

export type { VersionHealth, VersionHealthRecord } from './version-health.js';

export const TENANT_PHASES = [
  'asleep',
  'waking',
  'running',
  'draining',
  /** Idle: snapshot taken, then frozen in memory (no CPU); the next message resumes it in milliseconds. */
  'paused',
  'suspended',
  'failed',
  'offboarding',
  'deleted',
] as const;
export type TenantPhase = (typeof TENANT_PHASES)[number];

/**
 * The registry's administrative status (what the router checks on every
 * message), derived from the phase and written only by the tenant workflow.
 */
export const REGISTRY_STATUSES = ['active', 'suspended', 'failed', 'offboarding'] as const;
export type RegistryStatus = (typeof REGISTRY_STATUSES)[number];

/** Service tiers: they pick pod resources and the OpenClaw tool profile. */
export const TENANT_TIERS = ['free', 'standard', 'pro'] as const;
export type TenantTier = (typeof TENANT_TIERS)[number];

export type Channel = 'telegram' | 'chat' | 'internal';

/** One inbound message that must reach the agent. */
export interface Envelope {
  readonly channel: Channel;
  /** Stable id the supervisor dedupes on (Telegram `update_id`, chat request id). */
  readonly dedupeId: string;
  /** ISO-8601 time the router received it. */
  readonly receivedAt: string;
  /** The raw payload (e.g. the Telegram update JSON); the router caps it at 1 MB. */
  readonly body: string;
}

/** A running tenant agent: deterministic pod id plus where the supervisor listens. */
export interface PodHandle {
  readonly podId: string;
  /** Base URL of the tenant supervisor, e.g. `http://127.0.0.5:18789`. */
  readonly endpoint: string;
  /**
   * How the runtime isolates the pod, in one line for operators (the Web UI's current details, describe):
   * `sandbox uid 200003: memory 3072 MiB, 2 cores, 512 pids, disk 5120 MiB`, `NO sandbox: …`, `Kata VM (…)`.
   * Absent from launches recorded before runtimes reported it.
   */
  readonly isolation?: string;
}

/** What the supervisor reports about a snapshot it has written to the snapshot store. */
export interface SnapshotManifest {
  readonly seq: number;
  readonly sha256: string;
  readonly size: number;
  readonly createdAt: string;
  readonly openclawVersion: string;
}

/** What the control plane registered with Telegram for a tenant (never the secret or the bot token). */
export interface WebhookRegistered {
  readonly url: string;
  readonly botId: number;
  /**
   * The registry's peppered hash of the secret Telegram now holds (hashes
   * are on the tenant record anyway; the secret itself never leaves the
   * activity). Lets the confirmation keep exactly that secret.
   */
  readonly secretHash: string;
}

/** One round of `registerWebhook`: what Telegram holds now (null: no bot token), or why it failed. */
export type WebhookSync = { readonly registered: WebhookRegistered | null } | { readonly failed: string };

/** The agent's own view of its activity (read before draining and before sleeping). */
export interface AgentActivity {
  readonly inFlightRuns: number;
  /** ISO time of the agent's last run, or null if it never ran. */
  readonly lastActiveAt: string | null;
  /** ISO time of the next cron job or reminder, or null if none is scheduled. */
  readonly nextScheduledAt: string | null;
  /**
   * The tenant's resident memory (its supervisor and OpenClaw's process tree, summed RSS) and the
   * tier's limit over which an idle tenant is recycled (0: none). Absent from older supervisors.
   */
  readonly memory?: { readonly rssMb: number; readonly limitMb: number };
}

export interface CrashLoopSettings {
  /** Crashes within `windowMs` that move the tenant to `failed`. @default 3 */
  readonly maxCrashes: number;
  /** @default 600_000 (10 minutes) */
  readonly windowMs: number;
  /** First relaunch delay; doubles per crash in the window. @default 1_000 */
  readonly backoffMs: number;
}

export interface BufferSettings {
  /** @default 100 */
  readonly maxMessages: number;
  /** @default 4 MiB */
  readonly maxBytes: number;
}

/** Per-tenant settings; `configure` patches some of them at run time. */
export interface TenantSettings {
  readonly tier: TenantTier;
  readonly openclawVersion: string;
  /** Idle time before the tenant sleeps. @default 900_000 (15 minutes) */
  readonly idleTimeoutMs: number;
  /** Snapshot period while running. @default 300_000 (5 minutes) */
  readonly snapshotIntervalMs: number;
  /** How long before a scheduled job the tenant is woken. @default 60_000 */
  readonly scheduledWakeLeadMs: number;
  /** Grace the runtime gives the supervisor to exit on stop. @default 30_000 */
  readonly crashLoop: CrashLoopSettings;
  readonly buffer: BufferSettings;
}

/** Fields `configure` may change; all optional, validated before they enter history. */
export interface ConfigurePatch {
  readonly tier?: TenantTier;
  readonly openclawVersion?: string;
  readonly idleTimeoutMs?: number;
  readonly snapshotIntervalMs?: number;
}

export interface OffboardRequest {
  /** Days to keep data before deletion (a durable timer). @default 30 */
  readonly graceDays?: number;
  /** Only report what would be deleted. @default false */
  readonly dryRun?: boolean;
}

export interface OffboardPlan {
  readonly tenantId: string;
  readonly dryRun: boolean;
  /** When data will be (or would be) deleted, ISO-8601. */
  readonly deleteAfter: string;
  readonly snapshots: readonly SnapshotManifest[];
  readonly secretNames: readonly string[];
  readonly registryRecord: boolean;
}

/** What `restoreSnapshot(seq)` did: snapshot `restoredFrom` saved again as the newest, `newSeq`. */
export interface SnapshotRestore {
  readonly tenantId: string;
  readonly restoredFrom: number;
  readonly newSeq: number;
  readonly phase: TenantPhase;
}

/** The `describe()` query result. */
export interface TenantDescription {
  readonly tenantId: string;
  readonly phase: TenantPhase;
  readonly settings: TenantSettings;
  readonly pod: PodHandle | null;
  readonly generation: number;
  readonly lastActiveAt: string;
  readonly lastSnapshot: SnapshotManifest | null;
  readonly bufferedMessages: number;
  readonly bufferedBytes: number;
  readonly overflowCount: number;
  readonly deliveredCount: number;
  /** Messages dropped after repeated delivery failures (poison messages). */
  readonly droppedCount: number;
  readonly nextScheduledAt: string | null;
  readonly restartCount: number;
  readonly recentCrashes: number;
  readonly reason: string | null;
  readonly deleteAfter: string | null;
  /** Health on the current and the previous OpenClaw version (the fleet upgrade gate reads it). */
  readonly versionHealth?: VersionHealthRecord | null;
}
