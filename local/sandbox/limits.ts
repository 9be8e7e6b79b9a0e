/**
 * What each tier's sandbox may use (cgroup v1: memory, cpu, pids; a disk
 * budget). The numbers are operator settings, one per limit kind, each
 * `free=…,standard=…,pro=…` (common/config.ts, `CLAWFLEET_LOCAL_SANDBOX_*`);
 * their defaults there are the only place the built-in numbers live. The
 * launcher applies them and `tenant get` shows them. OpenClaw alone is about
 * 1.0 GB RSS idle and 1.45 GB after six turns (FACTS.md), so no tier can go
 * much below 2 GB of memory.
 */
import { SETTINGS, type Config } from '../../common/config.js';
import { ConfigError } from '../../common/errors.js';
import type { TenantTier } from '../../workflows/types.js';

export interface SandboxLimits {
  /** memory.soft_limit_in_bytes: reclaimed first above this when the host is short. */
  readonly memoryHighBytes: number;
  /** memory.limit_in_bytes (and memsw): over it the kernel kills inside the tenant only, and the tenant is lost. */
  readonly memoryMaxBytes: number;
  /**
   * cpu.shares: the weight when the CPU is contended. In cgroup v1 a tenant's group competes as one entity
   * against every task of the host's root group (1024 each): below 1024 a tenant gets less than any one host
   * process, and a busy host starved a `free` tenant's first boot past 5 minutes (bench:wake at load 25).
   */
  readonly cpuShares: number;
  /** cpu.cfs_quota_us per period (10 ms, cgroup.ts): the hard ceiling, in thousandths of a core. */
  readonly cpuMilliCores: number;
  /** pids.max: every process and thread of the tenant (the supervisor and OpenClaw run ~80 threads). */
  readonly pidsMax: number;
  /**
   * What the tenant's dir holds at most while it is awake (tenant-disks.ts): state, workspace, tmp, logs. Its
   * filesystem is this plus OpenClaw's reserve (disk-reserve.ts), held back from the tenant until the disk is full.
   */
  readonly diskBytes: number;
}

export type TierLimits = Readonly<Record<TenantTier, SandboxLimits>>;

type LimitSettings = Pick<
  Config['local'],
  'sandboxMemoryMax' | 'sandboxMemoryHigh' | 'sandboxCpu' | 'sandboxCpuShares' | 'sandboxPids' | 'sandboxDisk'
>;
type SettingName = keyof LimitSettings;

const TIERS: readonly TenantTier[] = ['free', 'standard', 'pro'];
const UNITS: Record<string, number> = { '': 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
const MiB = 1024 ** 2;

/** How each setting becomes a field, and the least value that still makes a working sandbox. */
const KINDS: readonly {
  setting: SettingName;
  field: keyof SandboxLimits;
  parse: (text: string) => number;
  min: number;
  minText: string;
}[] = [
  { setting: 'sandboxMemoryMax', field: 'memoryMaxBytes', parse: bytes, min: 64 * MiB, minText: '64MiB' },
  { setting: 'sandboxMemoryHigh', field: 'memoryHighBytes', parse: bytes, min: 32 * MiB, minText: '32MiB' },
  // The CFS quota's period is 10 ms and the kernel's least quota 1 ms.
  {
    setting: 'sandboxCpu',
    field: 'cpuMilliCores',
    parse: (t) => Math.round(Number(t) * 1000),
    min: 100,
    minText: '0.1',
  },
  { setting: 'sandboxCpuShares', field: 'cpuShares', parse: Number, min: 2, minText: '2' },
  { setting: 'sandboxPids', field: 'pidsMax', parse: Number, min: 16, minText: '16' },
  // mkfs.ext4 needs a few MiB of its own; the tenant's state and logs the rest.
  { setting: 'sandboxDisk', field: 'diskBytes', parse: bytes, min: 32 * MiB, minText: '32MiB' },
];

function bytes(text: string): number {
  const [, digits, unit] = /^([0-9]+)(KiB|MiB|GiB)?$/.exec(text) ?? [];
  return Number(digits) * UNITS[unit ?? '']!;
}

/**
 * Each tier's limits from the settings: a tier a setting does not name keeps
 * that setting's default. Throws one ConfigError naming every bad value.
 */
export function tierLimitsFrom(settings: LimitSettings): TierLimits {
  const problems: string[] = [];
  const limits: Record<string, Record<string, number>> = Object.fromEntries(TIERS.map((tier) => [tier, {}]));
  for (const kind of KINDS) {
    const { env, schema } = SETTINGS.local[kind.setting];
    const given = entries(settings[kind.setting]);
    const values = { ...entries(String((schema as { default?: unknown }).default)), ...given };
    for (const tier of TIERS) {
      const text = values[tier]!;
      const value = kind.parse(text);
      if (!Number.isSafeInteger(value) || value < kind.min)
        problems.push(`${env}: ${tier}=${text} is below the least working value ${kind.minText}`);
      limits[tier]![kind.field] = value;
    }
    const unknown = Object.keys(given).filter((tier) => !TIERS.includes(tier as TenantTier));
    if (unknown.length > 0) problems.push(`${env}: no tier ${unknown.join(', ')}`);
  }
  for (const tier of TIERS) {
    const { memoryHighBytes, memoryMaxBytes } = limits[tier]!;
    if (memoryHighBytes! > memoryMaxBytes!)
      problems.push(
        `${SETTINGS.local.sandboxMemoryHigh.env}: ${tier}'s soft limit is above its hard limit (${SETTINGS.local.sandboxMemoryMax.env})`,
      );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return limits as unknown as TierLimits;
}

/** `free=1GiB,pro=5GiB` → { free: '1GiB', pro: '5GiB' } (the schema checked the form). */
function entries(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => entry.split('=', 2) as [string, string]),
  );
}

/** The built-in limits: every setting at its default (an empty setting names no tier). */
export const TIER_LIMITS: TierLimits = tierLimitsFrom({
  sandboxMemoryMax: '',
  sandboxMemoryHigh: '',
  sandboxCpu: '',
  sandboxCpuShares: '',
  sandboxPids: '',
  sandboxDisk: '',
});
