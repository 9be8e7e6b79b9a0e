/**
 * An in-memory fleet behind `FleetPort`, for the fleet upgrade workflow tests
 * only (test/fleet/fleet-adapter.test.ts runs the real adapter against real
 * tenant workflows). Every tenant is assumed to wake during a wave's
 * observation (unless `sleepy`); a tenant in `crashing` or on a version in
 * `badVersions` reports a failed wake there. Calls are logged in order.
 */
/* eslint-disable @typescript-eslint/require-await -- in-memory fakes of async ports */
import type {
  FleetCandidate,
  FleetPort,
  SetVersionOptions,
  SetVersionOutcome,
} from '../../activities/fleet.js';
import type { TenantTier, VersionHealth, VersionHealthRecord } from '../../workflows/types.js';

interface FakeTenant {
  tier: TenantTier;
  version: string;
  pinned: boolean;
  health: VersionHealthRecord;
}

/** A version's health after one good wake and ten answered deliveries; `over` changes single figures. */
export function healthy(version: string, over: Partial<VersionHealth> = {}): VersionHealth {
  return {
    version,
    wakes: 1,
    failedWakes: 0,
    crashes: 0,
    crashLoops: 0,
    firstDelivery: 'acked',
    delivered: 10,
    deliveryErrors: 0,
    ...over,
  };
}

export class FakeFleet implements FleetPort {
  readonly events: string[] = [];
  readonly tenants = new Map<string, FakeTenant>();
  /** Versions every tenant fails to wake on. */
  readonly badVersions = new Set<string>();
  /** Tenants that fail to wake on any new version. */
  readonly crashing = new Set<string>();
  /** Tenants an operator pins after the rollout selected them (before their wave). */
  readonly pinLater = new Set<string>();
  /** No tenant wakes: the gate has nothing to judge. */
  sleepy = false;

  add(tenantId: string, version: string, options: { tier?: TenantTier; pinned?: boolean } = {}): void {
    this.tenants.set(tenantId, {
      tier: options.tier ?? 'standard',
      version,
      pinned: options.pinned ?? false,
      health: { current: healthy(version), previous: null },
    });
  }

  versionOf(tenantId: string): string | undefined {
    return this.tenants.get(tenantId)?.version;
  }

  async candidates(): Promise<FleetCandidate[]> {
    this.events.push('list');
    const rows = [...this.tenants].map(([tenantId, t]) => ({
      tenantId,
      tier: t.tier,
      openclawVersion: t.version,
      pinned: t.pinned,
    }));
    for (const id of this.pinLater) this.tenants.get(id)!.pinned = true;
    return rows;
  }

  async install(version: string): Promise<void> {
    this.events.push(`install ${version}`);
  }

  async setVersion(
    tenantId: string,
    version: string,
    options: SetVersionOptions,
  ): Promise<SetVersionOutcome> {
    const t = this.tenants.get(tenantId);
    if (!t) return 'gone';
    if (t.pinned) return 'pinned';
    const flags = `${options.restartAwake ? ' restart' : ''}${options.resumeFailed ? ' resume-failed' : ''}`;
    this.events.push(`set ${tenantId} ${version}${flags}`);
    if (t.version === version) return 'set';
    t.version = version;
    const woke = this.sleepy
      ? { ...healthy(version), wakes: 0, delivered: 0, firstDelivery: null }
      : healthy(version);
    const failing = this.badVersions.has(version) || this.crashing.has(tenantId);
    const current: VersionHealth = failing
      ? { ...woke, wakes: 0, failedWakes: 1, firstDelivery: null, delivered: 0 }
      : woke;
    t.health = { current, previous: t.health.current };
    return 'set';
  }

  async health(tenantId: string): Promise<VersionHealthRecord | null> {
    this.events.push(`health ${tenantId}`);
    return this.tenants.get(tenantId)?.health ?? null;
  }

  /** A later "wake" of a sleepy tenant on its current version. */
  wake(tenantId: string): void {
    const t = this.tenants.get(tenantId)!;
    t.health = { ...t.health, current: healthy(t.version) };
  }
}
