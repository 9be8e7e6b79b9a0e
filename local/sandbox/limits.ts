/**
 * What each tier's sandbox may use (cgroup v1: memory, cpu, pids; a disk budget). The one
 * place these numbers live; the launcher applies them and `tenant get` shows
 * them. OpenClaw alone is about 1.0 GB RSS idle and 1.45 GB after six turns
 * (FACTS.md), so no tier can go much below 2 GB.
 */
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
  /** The size of the filesystem the tenant's dir is while it is awake (tenant-disks.ts): state, workspace, tmp, logs. */
  readonly diskBytes: number;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const TIER_LIMITS: Readonly<Record<TenantTier, SandboxLimits>> = {
  free: {
    memoryHighBytes: 1792 * MiB,
    memoryMaxBytes: 2048 * MiB,
    cpuShares: 1024,
    cpuMilliCores: 1000,
    pidsMax: 256,
    diskBytes: 1 * GiB,
  },
  standard: {
    memoryHighBytes: 2048 * MiB,
    memoryMaxBytes: 2560 * MiB,
    cpuShares: 2048,
    cpuMilliCores: 1500,
    pidsMax: 384,
    diskBytes: 2 * GiB,
  },
  pro: {
    memoryHighBytes: 2560 * MiB,
    memoryMaxBytes: 3072 * MiB,
    cpuShares: 4096,
    cpuMilliCores: 2000,
    pidsMax: 512,
    diskBytes: 5 * GiB,
  },
};
