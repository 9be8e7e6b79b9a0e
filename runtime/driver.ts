/**
 * What a runtime driver does, and nothing more: start a supervisor for a
 * spec, tell when it is ready, end it, and report when it died. Which pod to
 * keep, replace, drain or adopt is decided once, for every driver, by the
 * lifecycle core (pod-lifecycle.ts); durable decisions (the snapshot
 * pointer, relaunch, eviction, registry status) are taken above the runtime,
 * in activities and the workflow.
 */
import type {
  CallOptions,
  PodHandle,
  PodSpec,
  ResumeOptions,
  RuntimeCapacity,
  RuntimePod,
  SnapshotManifest,
} from '../activities/ports.js';

export interface RuntimeDriver<P extends RuntimePod = RuntimePod> {
  /**
   * The pods of one tenant the driver holds now, every generation, including
   * ones that ended but are not removed yet (state `gone`). Pods that died
   * on their own and wait for their stop's salvage are not listed.
   */
  podsOf(tenantId: string): Promise<readonly P[]>;
  /** The pod with this id, or null when there is none (a dead local pod waiting for its salvage is found). */
  find(podId: string): Promise<P | null>;
  /**
   * Start a supervisor for the spec (a claimed warm one when the driver has
   * any) and resolve with its pod once it exists. A host without a free
   * place rejects with `RuntimeAtCapacityError` after a bounded wait.
   */
  start(spec: PodSpec, options: CallOptions): Promise<P>;
  /** Resolve once the supervisor reports its gateway ready; reject when it dies or misses its deadline. */
  ready(pod: P, spec: PodSpec, options: CallOptions): Promise<PodHandle>;
  /**
   * A stop begins: from here on the pod ending is expected, not a loss to
   * report. Called before the core drains the supervisor.
   */
  beginStop(pod: P): Promise<void>;
  /**
   * End the pod (terminate its processes or delete it) and wait until it is
   * gone. For a pod that died on its own this returns what it left, saved as
   * a snapshot and not recorded (salvage), when the driver can; else null.
   */
  remove(pod: P, graceMs: number, options: CallOptions): Promise<SnapshotManifest | null>;
  capacity(): Promise<RuntimeCapacity>;
  /**
   * Whether this driver can freeze a pod in memory (the paused tier). A driver
   * that cannot (Kubernetes: Kata VMs are not frozen) leaves `pause` and
   * `resume` out, and idle tenants sleep.
   */
  readonly canPause: boolean;
  /** Freeze every process of the ready pod (no CPU; memory and place kept); its state becomes `paused`. */
  pause?(pod: P): Promise<void>;
  /**
   * Thaw the paused pod and check that its supervisor answers; its state becomes `ready` again. Calls
   * `options.onThawed` between the two (ports.ts `ResumeOptions`).
   */
  resume?(pod: P, options: ResumeOptions): Promise<void>;
}

/** The supervisor's drain (runtime/supervisor-client.ts): OpenClaw stopped, final snapshot taken and returned. */
export type Drain = (handle: PodHandle, options: CallOptions) => Promise<SnapshotManifest | null>;
