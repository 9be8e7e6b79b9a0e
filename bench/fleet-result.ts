/**
 * What `bench:fleet` takes and reports (bench/fleet-run.ts runs it), and the
 * percentile helper its report uses.
 */

export interface FleetBenchOptions {
  readonly tenants: number;
  readonly wakesPerMinute: number;
  readonly minutes: number;
  /** Hot-path updates per second to tenants already awake. */
  readonly hotPerSecond: number;
  /** Concurrent admin API creates while onboarding. @default 8 */
  readonly onboardingConcurrency?: number;
  /** Worker options on top of the production ones (concurrency, cache size, pollers). */
  readonly worker?: Partial<Record<(typeof WORKER_TUNING)[number], number>>;
  /** Cold wakes whose history is read for the breakdown (spread over the run). @default 60 */
  readonly breakdownSamples?: number;
  readonly log?: (line: string) => void;
}

/** The worker options a run may set (BENCH_FLEET_WORKER_<NAME> in bench/fleet.ts). */
export const WORKER_TUNING = [
  'maxConcurrentWorkflowTaskExecutions',
  'maxConcurrentActivityTaskExecutions',
  'maxConcurrentLocalActivityExecutions',
  'maxCachedWorkflows',
  'maxConcurrentWorkflowTaskPolls',
  'maxConcurrentActivityTaskPolls',
  'stickyQueueScheduleToStartTimeout', // ms
] as const;

export interface Percentiles {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface ProcessUsage {
  readonly cpuSeconds: number;
  /** Mean cores used over the load window. */
  readonly cores: number;
  readonly rssMb: number;
}

export interface FleetBenchResult {
  readonly tenants: number;
  readonly onboardingPerSecond: number;
  /** Creates answered 5xx (and undone) that a retry then made. */
  readonly onboardingRetries: number;
  readonly wakesPerMinuteTarget: number;
  /** Cold wakes acknowledged per minute of the load window. */
  readonly wakesPerMinute: number;
  readonly wakeOverheadP50Ms: number;
  readonly wakeOverheadP99Ms: number;
  readonly wakeByMinute: readonly Percentiles[];
  readonly hot: Percentiles;
  /** Updates the router accepted (200) that no stand-in received. */
  readonly lost: number;
  /** Updates the router did not accept (not 200). */
  readonly refused: number;
  readonly historyEventsPerWake: number;
  /** History events from a wake's deliver signal to the stand-in's ack (sampled wakes, median). */
  readonly historyEventsToAck: number;
  /** Where the sampled wakes' time went (fleet-breakdown.ts): p50/p99 ms of each part and its share. */
  readonly breakdown: { samples: number; parts: Record<string, { p50: number; p99: number; share: number }> };
  /** The worker SDK's own metrics at the end of the run (fleet-breakdown.ts, WORKER_METRICS). */
  readonly worker: Record<string, number>;
  /** The bench process's event loop delay during the load (it runs the router, worker and stores). */
  readonly eventLoopDelayMs: { p99: number; max: number };
  /** CPU the bench process spent per tenant created (admin API, dynalite, Temporal client). */
  readonly onboardingCpuMsPerTenant: number;
  /** The bench process holds the worker, router, admin API, dynalite and s3rver. */
  readonly processes: Record<string, ProcessUsage>;
  readonly minutes: number;
  readonly loadAverage: number;
}

export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? NaN };
}
