/**
 * One tenant supervisor (supervisor/main.ts) as a child process of the runtime. Its
 * secrets arrive as environment variables (never argv, never a file), its
 * output goes to the tenant's log file, and it gets a stdin pipe: if the
 * runtime dies without stopping it, the pipe closes and the supervisor drains
 * itself (final snapshot, OpenClaw stopped). Stopping ends with a sweep of
 * every process that mentions the tenant directory, so nothing survives.
 * The process is either spawned for the tenant or a claimed warm one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { nodeArgs, PACKAGE_ROOT } from '../common/entry-points.js';
import { PARENT_WATCHDOG_FLAG } from '../common/parent-watchdog.js';
import { SECRET_SOURCES, type PodSecrets } from '../supervisor/supervisor-config.js';
import { killProcessesOf } from './process-sweep.js';
import type { WarmClaim } from './warm-supervisor-main.js';

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: string | null;
}

export interface StartOptions {
  /** The tenant's root directory; also the marker the final sweep looks for. */
  readonly rootDir: string;
  readonly specPath: string;
  readonly secrets: PodSecrets;
  readonly logFile: string;
}

export class SupervisorProcess {
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | null = null;

  private constructor(
    private readonly child: ChildProcess,
    private readonly rootDir: string,
  ) {
    this.exited = new Promise((resolve) => {
      const done = (info: ExitInfo) => {
        this.exitInfo ??= info;
        resolve(this.exitInfo);
      };
      child.once('exit', (code, signal) => done({ code, signal }));
      child.once('error', () => done({ code: null, signal: 'spawn-error' }));
    });
  }

  static start(options: StartOptions): SupervisorProcess {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      LANG: 'C.UTF-8',
      // Marks every process of this tenant for the sweep (OpenClaw's env holds the root too).
      CLAWFLEET_POD_ROOT: options.rootDir,
    };
    for (const [name, value] of Object.entries(options.secrets))
      if (value) env[SECRET_SOURCES[name as keyof typeof SECRET_SOURCES]] = value;
    const log = openSync(options.logFile, 'a', 0o600);
    try {
      const child = spawn(
        process.execPath,
        nodeArgs('supervisor/main', options.specPath, PARENT_WATCHDOG_FLAG),
        { cwd: PACKAGE_ROOT, env, stdio: ['pipe', log, log], detached: true },
      );
      child.stdin?.on('error', () => undefined); // the child may be gone before we close the pipe
      return new SupervisorProcess(child, options.rootDir);
    } finally {
      closeSync(log);
    }
  }

  /**
   * A pre-spawned supervisor (warm-supervisors.ts) becomes this tenant's: the
   * claim line carries the spec path, the log file and the secrets.
   */
  static claim(child: ChildProcess, options: StartOptions): SupervisorProcess {
    const claim: WarmClaim = {
      sentAtMs: Date.now(),
      specPath: options.specPath,
      logFile: options.logFile,
      secrets: options.secrets,
    };
    child.stdin?.write(`${JSON.stringify(claim)}\n`);
    return new SupervisorProcess(child, options.rootDir);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exitInfo !== null;
  }

  /** SIGTERM (the supervisor drains), SIGKILL after `graceMs`, then sweep the tenant's processes. */
  async terminate(graceMs: number): Promise<ExitInfo> {
    if (!this.hasExited) this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
    await killProcessesOf(this.rootDir);
    return this.exited;
  }

  /** SIGKILL the supervisor and everything of the tenant (used when the runtime itself closes hard). */
  async kill(): Promise<ExitInfo> {
    this.signal('SIGKILL');
    await this.exited;
    await killProcessesOf(this.rootDir);
    return this.exited;
  }

  private signal(name: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined || this.hasExited) return;
    try {
      process.kill(-pid, name); // the whole group: the supervisor and anything it did not detach
    } catch {
      // gone already
    }
  }
}
