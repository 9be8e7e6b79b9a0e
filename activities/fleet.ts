/**
 * Fleet upgrade activities: they act (list, install, set versions, read
 * health), the workflow decides. Built from `FleetPort` so the worker wires
 * the registry, the tenant workflows and the runtime's install behind it, and
 * tests wire a fleet in memory. Batches heartbeat per tenant, and every
 * batch is idempotent: setting a version a tenant already has changes nothing.
 */
import { log } from '@temporalio/activity';
import type { FleetSelector, UpgradeSelection, WaveHealth } from '../workflows/fleet-contract.js';
import type { TenantTier, VersionHealthRecord } from '../workflows/types.js';
import { safeContext } from './activity-boundary.js';
import { toActivityFailure } from './errors.js';

/** A registry row as the selection sees it. */
export interface FleetCandidate {
  readonly tenantId: string;
  readonly tier: TenantTier;
  readonly openclawVersion: string;
  /** Set by an operator's `tenant update --openclaw-version`: fleet upgrades leave it alone. */
  readonly pinned: boolean;
}

export type SetVersionOutcome = 'set' | 'pinned' | 'gone';

export interface SetVersionOptions {
  readonly restartAwake: boolean;
  /** @default false */
  readonly resumeFailed?: boolean;
}

export interface FleetPort {
  /** Every tenant that can still run (offboarding ones excluded). */
  candidates(): Promise<FleetCandidate[]>;
  /** Make `version` launchable ahead of the first wake (the local install cache, an image). */
  install(version: string): Promise<void>;
  /**
   * The tenant's version for its next wake (its workflow's `configure`, then
   * the registry record); with `restartAwake` an awake tenant is asked to
   * sleep so the next message wakes it on that version; with `resumeFailed`
   * a tenant held `failed` (a crash loop, a launch that cannot work) is
   * resumed, as a rollback does for tenants the bad version broke. A tenant
   * pinned meanwhile is left alone (`pinned`), a deleted one is `gone`.
   */
  setVersion(tenantId: string, version: string, options: SetVersionOptions): Promise<SetVersionOutcome>;
  /** The tenant's per-version health from its workflow, or null when it has none (gone). */
  health(tenantId: string): Promise<VersionHealthRecord | null>;
}

/** How many tenants are set or read at once. */
const BATCH = 16;
const MAX_FAILURES_LISTED = 20;

async function eachBatched<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  const ctx = safeContext();
  for (let i = 0; i < items.length; i += BATCH) {
    await Promise.all(items.slice(i, i + BATCH).map(work));
    ctx?.heartbeat(i);
  }
}

function matches(selector: FleetSelector, candidate: FleetCandidate, listed: ReadonlySet<string>): boolean {
  if ('tier' in selector) return candidate.tier === selector.tier;
  if ('tenantIds' in selector) return listed.has(candidate.tenantId);
  return true;
}

/** Selected tenants in a stable order (by id), pinned ones listed apart. */
export function selectTenants(
  candidates: readonly FleetCandidate[],
  selector: FleetSelector,
  targetVersion: string,
): UpgradeSelection {
  const listed = new Set('tenantIds' in selector ? selector.tenantIds : []);
  const picked = candidates
    .filter((c) => matches(selector, c, listed))
    .sort((a, b) => (a.tenantId < b.tenantId ? -1 : 1));
  return {
    tenants: picked
      .filter((c) => !c.pinned && c.openclawVersion !== targetVersion)
      .map((c) => ({ tenantId: c.tenantId, previousVersion: c.openclawVersion })),
    pinned: picked.filter((c) => c.pinned).map((c) => c.tenantId),
    alreadyCurrent: picked.filter((c) => !c.pinned && c.openclawVersion === targetVersion).length,
  };
}

type Tally = {
  -readonly [K in keyof WaveHealth]: WaveHealth[K] extends number ? number : string[];
};

/** Adds one tenant's record to the wave's tally; `previousVersion` names its baseline. */
export function tallyTenant(
  tally: Tally,
  tenantId: string,
  record: VersionHealthRecord | null,
  version: string,
  previousVersion: string,
): void {
  tally.tenants += 1;
  if (!record) return;
  const onNew = record.current.version === version ? record.current : null;
  const baseline = [record.current, record.previous].find((h) => h?.version === previousVersion) ?? null;
  if (baseline) {
    tally.baselineDelivered += baseline.delivered;
    tally.baselineDeliveryErrors += baseline.deliveryErrors;
  }
  if (!onNew) return; // has not launched on the new version yet
  if (onNew.wakes > 0) tally.woke += 1;
  tally.failedWakes += onNew.failedWakes;
  tally.crashLoops += onNew.crashLoops;
  tally.crashes += onNew.crashes;
  tally.delivered += onNew.delivered;
  tally.deliveryErrors += onNew.deliveryErrors;
  if (onNew.firstDelivery === 'dropped') tally.firstDeliveriesDropped += 1;
  const problems = [
    onNew.failedWakes > 0 && `${onNew.failedWakes} failed wakes`,
    onNew.crashLoops > 0 && 'crash loop',
    onNew.firstDelivery === 'dropped' && 'first delivery dropped',
  ].filter(Boolean);
  if (problems.length > 0 && tally.failures.length < MAX_FAILURES_LISTED)
    tally.failures.push(`${tenantId}: ${problems.join(', ')}`);
}

export function emptyTally(): Tally {
  return {
    tenants: 0,
    woke: 0,
    failedWakes: 0,
    crashLoops: 0,
    crashes: 0,
    firstDeliveriesDropped: 0,
    delivered: 0,
    deliveryErrors: 0,
    baselineDelivered: 0,
    baselineDeliveryErrors: 0,
    failures: [],
  };
}

export function createFleetActivities(fleet: FleetPort) {
  const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw toActivityFailure(error);
    }
  };
  return {
    async selectUpgradeTenants(input: {
      selector: FleetSelector;
      targetVersion: string;
    }): Promise<UpgradeSelection> {
      return guarded(async () =>
        selectTenants(await fleet.candidates(), input.selector, input.targetVersion),
      );
    },

    async installOpenClawVersion(input: { version: string }): Promise<void> {
      await guarded(() => fleet.install(input.version));
      log.info('openclaw version installed for the fleet', { version: input.version });
    },

    /** Sets each tenant's version; returns the tenants left alone as `{ pinned, gone }`. */
    async applyOpenClawVersions(input: {
      tenants: readonly { tenantId: string; version: string }[];
      restartAwake: boolean;
      resumeFailed?: boolean;
    }): Promise<{ pinned: string[]; gone: string[] }> {
      const pinned: string[] = [];
      const gone: string[] = [];
      await guarded(() =>
        eachBatched(input.tenants, async ({ tenantId, version }) => {
          const outcome = await fleet.setVersion(tenantId, version, {
            restartAwake: input.restartAwake,
            resumeFailed: input.resumeFailed ?? false,
          });
          if (outcome === 'pinned') pinned.push(tenantId);
          if (outcome === 'gone') gone.push(tenantId);
        }),
      );
      log.info('openclaw versions applied', { tenants: input.tenants.length, pinned, gone });
      return { pinned: pinned.sort(), gone: gone.sort() };
    },

    async measureWaveHealth(input: {
      tenants: readonly { tenantId: string; previousVersion: string }[];
      version: string;
    }): Promise<WaveHealth> {
      const records = new Map<string, VersionHealthRecord | null>();
      await guarded(() =>
        eachBatched(input.tenants, async ({ tenantId }) => {
          records.set(tenantId, await fleet.health(tenantId));
        }),
      );
      const tally = emptyTally();
      for (const { tenantId, previousVersion } of input.tenants)
        tallyTenant(tally, tenantId, records.get(tenantId) ?? null, input.version, previousVersion);
      return tally;
    },
  };
}

export type FleetActivities = ReturnType<typeof createFleetActivities>;
