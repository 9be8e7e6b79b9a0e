/**
 * What a tenant saw on each OpenClaw version: wakes, failed wakes, crashes,
 * crash loops, and the supervisor's answers to deliveries. The fleet upgrade's
 * health gate reads it through `describe()`; the record of the version before
 * the current one is kept as the baseline the gate compares against. Plain
 * data, changed only by TenantState, so it rides along through continue-as-new.
 */

export interface VersionHealth {
  readonly version: string;
  wakes: number;
  /** Launches on this version that failed (permanently, or before a relaunch). */
  failedWakes: number;
  crashes: number;
  /** Times the tenant went `failed` for a crash loop on this version. */
  crashLoops: number;
  /** How the first delivery on this version ended: the agent's durable ack, a dropped message, or none yet. */
  firstDelivery: 'acked' | 'dropped' | null;
  /** Deliveries the supervisor acknowledged. */
  delivered: number;
  /** Delivery rounds the supervisor answered with an error (or not at all). */
  deliveryErrors: number;
}

export interface VersionHealthRecord {
  current: VersionHealth;
  /** The version the tenant ran before `current` (the gate's baseline), or null. */
  previous: VersionHealth | null;
}

function fresh(version: string): VersionHealth {
  return {
    version,
    wakes: 0,
    failedWakes: 0,
    crashes: 0,
    crashLoops: 0,
    firstDelivery: null,
    delivered: 0,
    deliveryErrors: 0,
  };
}

/** The entry of `version`, starting a new one (and keeping the old as `previous`) when the version moved. */
export function healthOf(
  holder: { versionHealth?: VersionHealthRecord | null },
  version: string,
): VersionHealth {
  const record = holder.versionHealth;
  if (record && record.current.version === version) return record.current;
  const current = fresh(version);
  holder.versionHealth = { current, previous: record?.current ?? null };
  return current;
}

/** The entry of the version the tenant last ran, if any (deliveries and crashes belong to it). */
export function runningHealth(holder: { versionHealth?: VersionHealthRecord | null }): VersionHealth | null {
  return holder.versionHealth?.current ?? null;
}

type Holder = { versionHealth?: VersionHealthRecord | null };

/** The agent acknowledged a delivery on the running version. */
export function noteDelivered(holder: Holder): void {
  const health = runningHealth(holder);
  if (!health) return;
  health.delivered += 1;
  health.firstDelivery ??= 'acked';
}

/** A delivery round failed; `dropped` when it was the last one for that message. */
export function noteDeliveryError(holder: Holder, dropped: boolean): void {
  const health = runningHealth(holder);
  if (!health) return;
  health.deliveryErrors += 1;
  if (dropped) health.firstDelivery ??= 'dropped';
}

/** The running pod died; `loop` when that crash moved the tenant to `failed`. */
export function noteCrash(holder: Holder, loop: boolean): void {
  const health = runningHealth(holder);
  if (!health) return;
  health.crashes += 1;
  if (loop) health.crashLoops += 1;
}
