/** The settings of the local driver (local-driver.ts), as local-runtime.ts gives them. */
import type { PodSpec, RuntimeEvents } from '../activities/ports.js';
import type { Logger } from '../common/logger.js';
import type { LaunchPlan, Placement } from '../runtime/launch-plan.js';
import type { Salvage } from './lost-pods.js';
import type { LocalSandboxSettings } from './sandbox/slot-sandboxes.js';

export interface LocalDriverOptions {
  readonly dataDir: string;
  readonly portBase: number;
  /** Most tenants awake at once (see capacity-gate.ts defaultCapacity). */
  readonly capacity: number;
  /** The supervisor spec and secrets for this pod at this placement. */
  readonly plan: (pod: PodSpec, placement: Placement, rootDir: string) => Promise<LaunchPlan>;
  readonly events: RuntimeEvents;
  readonly salvage: Salvage;
  readonly logger: Logger;
  /** How long a launch waits for a place before it reports the host full. @default 10 s */
  readonly capacityWaitMs?: number;
  /** Pods may be paused (frozen in memory) when the host has a cgroup freezer. @default true */
  readonly pausing?: boolean;
  /** Idle pre-spawned supervisors kept for the next wakes (warm-supervisors.ts). @default 1 */
  readonly warmSupervisors?: number;
  /**
   * How long supervisors keep serving without a runtime (a worker restart)
   * before they drain themselves; a runtime started within it adopts them.
   * @default 60 s
   */
  readonly adoptWindowMs?: number;
  /**
   * Every tenant in its own sandbox (local/sandbox/). Absent means unsandboxed,
   * which only the explicit setting `CLAWFLEET_LOCAL_SANDBOX=off` chooses.
   */
  readonly sandbox?: LocalSandboxSettings;
}
