/**
 * Starting one clawfleet process for bench:startup in a given mode (built or
 * source, common/entry-points.ts), timing it until a readiness probe says
 * yes, and stopping it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { configToEnv, type ConfigOverrides } from '../common/config.js';
import { nodeArgsIn, PACKAGE_ROOT, type ClawfleetEntry, type RunMode } from '../common/entry-points.js';

/** How often a start is probed: the same for both modes, so neither gains from it. */
const PROBE_MS = 10;

export interface Started {
  readonly child: ChildProcess;
  /** Spawn to the probe's first yes. */
  readonly ms: number;
  stop(): Promise<void>;
}

export async function startTimed(options: {
  mode: RunMode;
  entry: ClawfleetEntry;
  config: ConfigOverrides;
  logFile: string;
  ready: (child: ChildProcess) => Promise<boolean>;
  timeoutMs?: number;
}): Promise<Started> {
  const log = openSync(options.logFile, 'a');
  const started = performance.now();
  const child = spawn(process.execPath, nodeArgsIn(options.mode, options.entry), {
    cwd: PACKAGE_ROOT,
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...configToEnv(options.config) },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  try {
    while (!(await options.ready(child).catch(() => false))) {
      if (child.exitCode !== null)
        throw new Error(`${options.entry} exited (${child.exitCode}); see ${options.logFile}`);
      if (Date.now() > deadline)
        throw new Error(`${options.entry} not ready in time; see ${options.logFile}`);
      await new Promise((r) => setTimeout(r, PROBE_MS));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { child, ms: performance.now() - started, stop };
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)! };
}
