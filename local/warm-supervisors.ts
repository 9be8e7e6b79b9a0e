/**
 * Idle supervisor processes (warm-supervisor-main.ts) with Node and the
 * supervisor's modules (and tsx when running from source) already loaded, so a cold wake skips a process start.
 * A launch takes one and hands it the tenant's spec, log file and secrets
 * over its stdin pipe; the pool is topped up only after that launch is
 * ready, so the replacement's own start never competes with the tenant's
 * OpenClaw for the CPU.
 *
 * Idle processes carry no tenant data, only `CLAWFLEET_WARM_POOL=<data dir>`
 * in their environment (how a sweep finds them). Closing the pool, or the
 * runtime dying, closes their stdin and they exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { nodeArgs, PACKAGE_ROOT } from '../common/entry-points.js';
import { PARENT_WATCHDOG_FLAG } from '../common/parent-watchdog.js';

/** An idle process that ignores its closed stdin this long is killed. */
const CLOSE_GRACE_MS = 2_000;

export interface WarmSupervisorsOptions {
  /** Idle processes to keep (0 turns the pool off). */
  readonly size: number;
  /** The runtime's data dir: the marker in every warm process's environment. */
  readonly dataDir: string;
  /** Where idle processes write (they are quiet until claimed; then they write to the tenant's log). */
  readonly logFile: string;
}

export class WarmSupervisors {
  private idle: ChildProcess[] = [];
  private closed = false;

  constructor(private readonly options: WarmSupervisorsOptions) {}

  /** Spawn idle processes up to the pool size. */
  fill(): void {
    this.idle = this.idle.filter(isAlive);
    while (!this.closed && this.idle.length < this.options.size) this.idle.push(this.spawnOne());
  }

  /** An idle process for a launch to claim, or undefined (the launch spawns a supervisor cold). */
  take(): ChildProcess | undefined {
    this.idle = this.idle.filter(isAlive);
    return this.idle.shift();
  }

  async close(): Promise<void> {
    this.closed = true;
    const idle = this.idle.splice(0).filter(isAlive);
    await Promise.all(
      idle.map(async (child) => {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.stdin?.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), CLOSE_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  private spawnOne(): ChildProcess {
    const log = openSync(this.options.logFile, 'a', 0o600);
    try {
      const child = spawn(process.execPath, nodeArgs('local/warm-supervisor-main', PARENT_WATCHDOG_FLAG), {
        cwd: PACKAGE_ROOT,
        env: { PATH: process.env['PATH'], LANG: 'C.UTF-8', CLAWFLEET_WARM_POOL: this.options.dataDir },
        // A file, not a pipe, for stdout/stderr: a claimed process moves its output to the tenant's log.
        stdio: ['pipe', log, log],
        detached: true,
      });
      child.stdin?.on('error', () => undefined); // it may exit before we write or close
      child.once('error', () => undefined); // a failed spawn shows as not alive
      return child;
    } finally {
      closeSync(log);
    }
  }
}

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null && child.pid !== undefined;
}
