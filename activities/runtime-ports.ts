/**
 * The runtime's side of the ports (ports.ts): starting, stopping, pausing
 * and watching tenant pods, and calling the supervisor inside one. The
 * local and Kubernetes drivers implement RuntimePort and report through
 * RuntimeEvents; the supervisor's HTTP client implements AgentPort.
 */
import type { AgentActivity, Envelope, PodHandle, SnapshotManifest, TenantTier } from '../workflows/types.js';

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
