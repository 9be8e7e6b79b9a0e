/**
 * What each tier's OpenClaw may hold in memory, in one place: the V8 flags and
 * environment its gateway is launched with (supervisor/gateway-launch.ts) and
 * the summed RSS over which an idle tenant is recycled (workflows/memory-recycle.ts).
 * Measured by `npm run bench:memory` (docs/benchmarks.md).
 */
import type { TenantTier } from '../workflows/types.js';

export interface TierMemory {
  /** V8 flags before OpenClaw's entry script (process-wide: they bind its worker threads too). */
  readonly v8Flags: readonly string[];
  /** Extra environment of the gateway (libuv and glibc settings). */
  readonly env: Readonly<Record<string, string>>;
  /** Summed RSS (MiB) of the tenant's processes over which it is recycled when idle. */
  readonly recycleRssMb: number;
}

/**
 * A 1 MB semi-space per isolate: OpenClaw runs ~15 worker-thread isolates, and Node's default young generation
 * (up to 16 MB per semi-space each) held 317 MB of a 20-turn tenant against 53 MB with it, at no cost to boot
 * time. `--optimize-for-size` saved a little more but cost ~70 % more CPU to `/readyz` (docs/benchmarks.md).
 */
const COMMON: Omit<TierMemory, 'recycleRssMb'> = {
  v8Flags: ['--max-semi-space-size=1'],
  env: { UV_THREADPOOL_SIZE: '2', MALLOC_ARENA_MAX: '2' },
};

/**
 * Recycle limits: above what a healthy tenant holds (1,316 MB summed RSS after 20 turns, bench:memory), so
 * only growth is recycled and an idle tenant still pauses; below the tier's sandbox soft limit (memory.high:
 * 1,792 / 2,048 / 2,560 MiB), where the kernel would start reclaiming from it.
 */
export const TIER_MEMORY: Readonly<Record<TenantTier, TierMemory>> = {
  free: { ...COMMON, recycleRssMb: 1536 },
  standard: { ...COMMON, recycleRssMb: 1792 },
  pro: { ...COMMON, recycleRssMb: 2304 },
};

/** The supervisor spec's `memory` for a tier; `recycleRssMb` (the setting) replaces the tier's limit when above 0. */
export function tierMemorySpec(tier: TenantTier, recycleRssMb = 0) {
  const memory = TIER_MEMORY[tier];
  return {
    v8Flags: [...memory.v8Flags],
    env: { ...memory.env },
    recycleRssMb: recycleRssMb > 0 ? recycleRssMb : memory.recycleRssMb,
  };
}
