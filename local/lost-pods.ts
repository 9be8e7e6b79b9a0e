/**
 * Pods whose supervisor died on their own, kept with their directory until
 * the workflow stops them: that stop salvages what the state dir holds into a
 * snapshot and returns it (the stop activity records it). The runtime records
 * nothing itself.
 */
import type { Logger } from '../common/logger.js';
import type { SnapshotManifest } from '../workflows/types.js';
import type { LaunchedPod } from './launched-pod.js';
import { removePodRecordOf } from './pod-record.js';

/** Saves what a dead supervisor left in `<rootDir>/state` as a new snapshot (not recorded); null if nothing. */
export type Salvage = (
  tenantId: string,
  rootDir: string,
  openclawVersion: string,
) => Promise<SnapshotManifest | null>;

interface LostPod {
  readonly pod: LaunchedPod;
  /** Resolves once every process of the tenant is gone. */
  readonly swept: Promise<unknown>;
}

export class LostPods {
  private readonly byPodId = new Map<string, LostPod>();

  constructor(
    private readonly salvage: Salvage,
    private readonly logger: Logger,
  ) {}

  add(pod: LaunchedPod, swept: Promise<unknown>): void {
    this.byPodId.set(pod.podId, { pod, swept });
  }

  has(podId: string): boolean {
    return this.byPodId.has(podId);
  }

  get(podId: string): LaunchedPod | undefined {
    return this.byPodId.get(podId)?.pod;
  }

  /** The stop of a lost pod: its state, once nothing of the tenant can still write to it. */
  async stop(podId: string): Promise<SnapshotManifest | null> {
    const lost = this.byPodId.get(podId);
    if (!lost) return null;
    await lost.swept;
    // Only state that was restored and served is worth keeping; a half-done restore is not.
    const { pod } = lost;
    const manifest = pod.wasReady
      ? await this.salvage(pod.tenantId, pod.rootDir, pod.spec.openclawVersion)
      : null;
    this.byPodId.delete(podId);
    await removePodRecordOf(pod.rootDir, podId); // salvaged once: a later runtime must not find it lost again
    return manifest;
  }

  /** A launch for the tenant comes first (the workflow stops a lost pod before relaunching): drop leftovers. */
  forget(tenantId: string): void {
    for (const { pod } of this.byPodId.values())
      if (pod.tenantId === tenantId) {
        this.logger.warn({ tenantId, podId: pod.podId }, 'lost pod relaunched before its stop');
        this.byPodId.delete(pod.podId);
      }
  }
}
