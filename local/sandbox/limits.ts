/**
 * What each tier's sandbox may use (cgroup v1: memory, cpu, pids). The one
 * place these numbers live; the launcher applies them and `tenant get` shows them.
 */
import type { TenantTier } from '../../workflows/types.js';

export interface SandboxLimits {
  /** memory.soft_limit_in_bytes: reclaimed first above this when the host is short. */
  readonly memoryHighBytes: number;
  /** memory.limit_in_bytes (and memsw when the kernel accounts swap): over it the kernel kills inside the tenant only. */
  readonly memoryMaxBytes: number;
  /** cpu.shares: the weight against other tenants when the CPU is contended (1024 = one host process). */
  readonly cpuShares: number;
  /** cpu.cfs_quota_us per 100 ms period: the hard ceiling, in thousandths of a core. */
  readonly cpuMilliCores: number;
  /** pids.max: every process and thread of the tenant (Node and OpenClaw start ~40 threads). */
  readonly pidsMax: number;
}

const MiB = 1024 * 1024;

export const TIER_LIMITS: Readonly<Record<TenantTier, SandboxLimits>> = {
  free: {
    memoryHighBytes: 640 * MiB,
    memoryMaxBytes: 768 * MiB,
    cpuShares: 256,
    cpuMilliCores: 500,
    pidsMax: 256,
  },
  standard: {
    memoryHighBytes: 896 * MiB,
    memoryMaxBytes: 1024 * MiB,
    cpuShares: 512,
    cpuMilliCores: 1000,
    pidsMax: 384,
  },
  pro: {
    memoryHighBytes: 1280 * MiB,
    memoryMaxBytes: 1536 * MiB,
    cpuShares: 1024,
    cpuMilliCores: 2000,
    pidsMax: 512,
  },
};
