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
import type { AgentActivity, Envelope, PodHandle, SnapshotManifest, TenantTier } from '../workflows/types.js';

export type { AgentActivity, Envelope, PodHandle, SnapshotManifest } from '../workflows/types.js';

/** Options every potentially slow call accepts; aborts when the activity is cancelled. */
export interface CallOptions {
  readonly signal?: AbortSignal;
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
  readonly state: 'starting' | 'ready' | 'stopping' | 'gone';
}

export interface RuntimePort {
  /** Start (or adopt) the pod and resolve once its supervisor answers. */
  launch(spec: PodSpec, options?: CallOptions): Promise<PodHandle>;
  /** Stop the pod, giving the supervisor `graceMs` to exit; a missing pod is success. */
  stop(handle: PodHandle, options: { graceMs: number } & CallOptions): Promise<void>;
  describe(handle: PodHandle): Promise<PodStatus>;
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
  readonly messages: number;
}

export interface Registry {
  getTenant(tenantId: string): Promise<TenantRecord | null>;
  /** Conditional write: moves `latestSnapshotSeq` forward only; an older seq is a no-op, not an error. */
  advanceSnapshotPointer(tenantId: string, seq: number): Promise<void>;
  /** A missing record is success. */
  deleteTenant(tenantId: string): Promise<void>;
  /** Idempotent per (tenantId, from): a retried write replaces, never adds. */
  recordUsage(tenantId: string, usage: UsageRecord): Promise<void>;
}

/** The router's hot-path lookup (Redis in production). */
export interface EndpointCache {
  publish(tenantId: string, endpoint: string, ttlMs: number): Promise<void>;
  /** A missing entry is success. */
  clear(tenantId: string): Promise<void>;
}

export interface SecretStore {
  /** Names only, for offboarding dry runs. */
  list(tenantId: string): Promise<string[]>;
  /** A tenant without secrets is success. */
  deleteAll(tenantId: string): Promise<void>;
}

export interface ActivityDeps {
  readonly runtime: RuntimePort;
  readonly agent: AgentPort;
  readonly snapshots: SnapshotStore;
  readonly registry: Registry;
  readonly endpoints: EndpointCache;
  readonly secrets: SecretStore;
}
