/**
 * A child process the dev stack owns: started in its own process group with
 * output appended to a log file, stopped with SIGTERM to the whole group and
 * SIGKILL after a grace period, so nothing it started can outlive the stack.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

export interface ManagedProcessOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /**
   * Give the child a stdin pipe that closes when this process dies. Node
   * children watch it (see `exitWhenParentDies`), so even a SIGKILLed stack
   * leaves no worker or router behind.
   */
  readonly parentWatchdog?: boolean;
}

export class ManagedProcess {
  readonly name: string;
  private readonly child: ChildProcess;
  private readonly log: WriteStream;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;

  private constructor(options: ManagedProcessOptions) {
    this.name = options.name;
    this.log = createWriteStream(options.logFile, { flags: 'a' });
    this.child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true, // own process group: a terminal Ctrl-C reaches only the stack, which stops children in order
      stdio: [options.parentWatchdog ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.pipe(this.log, { end: false });
    this.child.stderr?.pipe(this.log, { end: false });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve();
      });
      this.child.once('error', (error) => {
        this.log.write(`[clawfleet] failed to start ${options.command}: ${error.message}\n`);
        this.exitInfo = { code: -1, signal: null };
        resolve();
      });
    });
  }

  static start(options: ManagedProcessOptions): ManagedProcess {
    return new ManagedProcess(options);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Why the process ended, for error messages ("exited with code 1"). */
  describeExit(): string {
    if (!this.exitInfo) return 'running';
    return this.exitInfo.signal
      ? `killed by ${this.exitInfo.signal}`
      : `exited with code ${this.exitInfo.code}`;
  }

  /** Resolves when the process exits (for "component died" detection). */
  whenExited(): Promise<void> {
    return this.exited;
  }

  /** SIGTERM the process group, wait up to `graceMs`, then SIGKILL it. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.running) {
      this.signalGroup('SIGTERM');
      const timer = setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    // The leader is gone; anything left in its group (helpers it forked) goes too.
    this.signalGroup('SIGKILL');
    if (!this.log.closed) {
      this.log.end();
      await once(this.log, 'close').catch(() => undefined);
    }
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // ESRCH: the group is already gone
    }
  }
}
