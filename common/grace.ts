/**
 * Every stop deadline derives from one value, the stop grace: how long a
 * tenant's supervisor has to stop OpenClaw and take its final snapshot. Five
 * numbers used to be set apart (workflow, supervisor, runtime, pod
 * termination, OpenClaw's own drain) and could disagree; a pod killed before
 * its final snapshot was uploaded loses state, so each outer deadline here
 * is strictly longer than the one it contains.
 */

/** The final snapshot's share of the grace: the rest goes to OpenClaw's own drain of in-flight runs. */
const SNAPSHOT_SHARE = 1 / 3;
const MAX_SNAPSHOT_RESERVE_MS = 10_000;
/** The supervisor's HTTP answer and process exit after its drain. */
const RUNTIME_MARGIN_MS = 5_000;
/** Kubernetes: the kubelet's SIGKILL comes after the runtime has stopped waiting. */
const POD_MARGIN_SECONDS = 10;

export interface GraceChain {
  /** The supervisor's whole drain budget (OpenClaw stop + final snapshot): `spec.shutdownGraceMs`. */
  readonly supervisorDrainMs: number;
  /** Kept for the final snapshot out of the drain budget: `spec.snapshotReserveMs`. */
  readonly snapshotReserveMs: number;
  /** OpenClaw's own SIGTERM drain of in-flight runs. */
  readonly openclawStopMs: number;
  /** How long a runtime waits for a stop (the drain call, then the process or pod gone). */
  readonly runtimeStopMs: number;
  /** Kubernetes `terminationGracePeriodSeconds` of tenant pods. */
  readonly podTerminationSeconds: number;
}

export function graceChain(stopGraceMs: number): GraceChain {
  if (!Number.isInteger(stopGraceMs) || stopGraceMs < 3_000)
    throw new RangeError(`stop grace must be at least 3 s, got ${stopGraceMs} ms`);
  const snapshotReserveMs = Math.min(MAX_SNAPSHOT_RESERVE_MS, Math.floor(stopGraceMs * SNAPSHOT_SHARE));
  const runtimeStopMs = stopGraceMs + RUNTIME_MARGIN_MS;
  return {
    supervisorDrainMs: stopGraceMs,
    snapshotReserveMs,
    openclawStopMs: stopGraceMs - snapshotReserveMs,
    runtimeStopMs,
    podTerminationSeconds: Math.ceil(runtimeStopMs / 1000) + POD_MARGIN_SECONDS,
  };
}
