/**
 * bench:wake's sandbox comparison (issue 19): the same fleet twice in one
 * run, the local sandbox on (the default; the bench's main fleet) and off,
 * so the cold wake (b) and the hot path (c) are measured on both, in
 * alternation, under the same load. Also what an awake sandboxed tenant
 * holds in its memory cgroup against its tier's limits, and the capacity
 * this machine gets by default.
 */
import { freemem, totalmem } from 'node:os';
import { BYTES_PER_TENANT, defaultCapacity } from '../runtime/capacity-gate.js';
import type { SandboxLimits } from '../local/sandbox/limits.js';
import type { ConfigOverrides } from '../common/config.js';
import { startFleet } from '../test/local/fleet.js';
import { startFleetRouter, type FleetRouter } from '../test/local/fleet-router.js';
import { quantile, summary } from './stats.js';

type Fleet = Awaited<ReturnType<typeof startFleet>>;

/** The sandboxed fleet and its unsandboxed baseline, each behind its own router, in one process. */
export interface SandboxPair {
  readonly boxed: { readonly fleet: Fleet; readonly router: FleetRouter };
  readonly plain: { readonly fleet: Fleet; readonly router: FleetRouter };
  close(): Promise<void>;
}

/**
 * Both fleets at capacity 2 and log level info (the supervisor logs the trace
 * marks); `settings` apply to the sandboxed one, the baseline differs only in
 * `local.sandbox: off`.
 */
export async function startSandboxPair(settings: ConfigOverrides = {}): Promise<SandboxPair> {
  const boxedFleet = await startFleet({ capacity: 2, logLevel: 'info', settings });
  const boxedRouter = await startFleetRouter(boxedFleet);
  const plainFleet = await startFleet({
    capacity: 2,
    logLevel: 'info',
    settings: { local: { sandbox: 'off' } },
  });
  const plainRouter = await startFleetRouter(plainFleet);
  return {
    boxed: { fleet: boxedFleet, router: boxedRouter },
    plain: { fleet: plainFleet, router: plainRouter },
    async close() {
      await Promise.all([boxedRouter.close(), plainRouter.close()]);
      await Promise.all([boxedFleet.stop(), plainFleet.stop()]);
    },
  };
}

export interface SandboxMemory {
  readonly memoryMb: number;
  readonly limits: SandboxLimits;
}

export interface SandboxComparison {
  /** (b) with the sandbox on and off, alternating, ms. */
  readonly coldOn: number[];
  readonly coldOff: number[];
  /** (c) hot path, alternating deliveries to the tenant of each fleet, ms. */
  readonly hotOn: number[];
  readonly hotOff: number[];
  readonly memory: SandboxMemory | null;
}

/** Hot-path deliveries alternating between the two fleets' running tenants: load hits both alike. */
export async function alternatingHotPath(
  postOn: () => Promise<void>,
  postOff: () => Promise<void>,
  runs: number,
): Promise<{ hotOn: number[]; hotOff: number[] }> {
  const hotOn: number[] = [];
  const hotOff: number[] = [];
  for (let i = 0; i < runs; i++) {
    for (const [post, into] of i % 2
      ? [[postOff, hotOff] as const, [postOn, hotOn] as const]
      : [[postOn, hotOn] as const, [postOff, hotOff] as const]) {
      const t0 = performance.now();
      await post();
      into.push(performance.now() - t0);
    }
  }
  return { hotOn, hotOff };
}

/** The awake tenant's memory cgroup now (page cache included, as the limit counts it) and its limits. */
export async function sandboxMemory(fleet: Fleet, tenantId: string): Promise<SandboxMemory | null> {
  const sandbox = fleet.adapters.localRuntime?.sandboxOf(tenantId);
  const bytes = await sandbox?.cgroup.memoryBytes();
  if (!sandbox || bytes === null || bytes === undefined) return null;
  return { memoryMb: Math.round(bytes / 1024 / 1024), limits: sandbox.limits };
}

const ms = (values: number[]) =>
  `${quantile(values, 0.5).toFixed(1)} ms (IQR ${quantile(values, 0.25).toFixed(1)}–${quantile(values, 0.75).toFixed(1)})`;
const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;

export function reportSandbox(c: SandboxComparison): Record<string, unknown> {
  const cold = summary(c.coldOn).median - summary(c.coldOff).median;
  const hot = quantile(c.hotOn, 0.5) - quantile(c.hotOff, 0.5);
  const paired = c.coldOn.map((on, i) => on - (c.coldOff[i] ?? NaN)).filter((d) => !Number.isNaN(d));
  console.log(`\nsandbox on vs off (same run, alternating):`);
  console.log(`(b) cold wake, sandbox on:  ${ms(c.coldOn)}`);
  console.log(`(b) cold wake, sandbox off: ${ms(c.coldOff)}`);
  console.log(
    `    on − off = ${cold.toFixed(0)} ms (target ≤ 100 ms); paired per round: ${paired.map((d) => d.toFixed(0)).join(', ')}`,
  );
  console.log(`(c) hot path, sandbox on:  ${ms(c.hotOn)}`);
  console.log(`(c) hot path, sandbox off: ${ms(c.hotOff)}`);
  console.log(`    on − off = ${hot.toFixed(1)} ms (target: nothing measurable)`);
  if (c.memory) {
    const { memoryMb, limits } = c.memory;
    console.log(
      `awake sandboxed tenant: ${memoryMb} MiB in its memory cgroup; limits high ${mib(limits.memoryHighBytes)}, max ${mib(limits.memoryMaxBytes)} (${((memoryMb / (limits.memoryMaxBytes / 1024 / 1024)) * 100).toFixed(0)} % of max)`,
    );
  }
  const capacity = defaultCapacity(0);
  console.log(
    `default capacity of this machine: ${capacity} tenants (1 per ${mib(BYTES_PER_TENANT)} of the ${mib(freemem())} available now; ${mib(totalmem())} total)`,
  );
  return {
    coldWakeSandboxOnMs: summary(c.coldOn),
    coldWakeSandboxOffMs: summary(c.coldOff),
    coldWakeSandboxAddedMs: Math.round(cold),
    coldWakeSandboxPairedMs: paired.map(Math.round),
    hotPathSandboxOnMs: summary(c.hotOn),
    hotPathSandboxOffMs: summary(c.hotOff),
    hotPathSandboxAddedMs: Number(hot.toFixed(1)),
    awakeSandboxMemoryMb: c.memory?.memoryMb ?? null,
    awakeSandboxLimits: c.memory?.limits ?? null,
    defaultCapacity: capacity,
    availableMemoryMb: Math.round(freemem() / 1024 / 1024),
  };
}
