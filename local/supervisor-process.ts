/**
 * One tenant supervisor (supervisor/main.ts) as a child process of the runtime. Its
 * secrets arrive as environment variables (never argv, never a file), its
 * output goes to the tenant's log file, and it watches the runtime's
 * heartbeat (common/runtime-heartbeat.ts): it outlives a worker restart,
 * whose next runtime adopts it (`adopt`), and drains itself (final snapshot,
 * OpenClaw stopped) once the heartbeat is older than the adoption window. Stopping ends with a sweep of
 * every process that mentions the tenant directory, so nothing survives.
 * The process is either spawned for the tenant or a claimed warm one.
 * A claimed one has no CLAWFLEET_POD_ROOT: the final sweep finds its
 * process group, and the tenant's OpenClaw by the root in its environment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { nodeArgs, PACKAGE_ROOT } from '../common/entry-points.js';
import { heartbeatFlag } from '../common/runtime-heartbeat.js';
import { isSameProcess, startTimeOf } from './process-identity.js';
import { SECRET_SOURCES, type PodSecrets } from '../supervisor/supervisor-config.js';
import { killProcessesOf } from './process-sweep.js';
import type { LaunchPlan } from '../runtime/launch-plan.js';
import { claimWarmSupervisor } from '../runtime/warm-claim-client.js';
import type { WarmProcess } from './warm-supervisors.js';

/** How long a claim waits for a freshly spawned warm process to listen. */
const CLAIM_WAIT_MS = 30_000;

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: string | null;
}

/** The runtime's heartbeat the supervisor watches (common/runtime-heartbeat.ts). */
export interface Heartbeat {
  readonly file: string;
  readonly windowMs: number;
}

export interface StartOptions {
  /** The tenant's root directory; also the marker the final sweep looks for. */
  readonly rootDir: string;
  readonly specPath: string;
  readonly secrets: PodSecrets;
  readonly logFile: string;
  readonly heartbeat: Heartbeat;
  /** Wraps the command in the slot's sandbox (local/sandbox/); absent when the runtime runs unsandboxed. */
  readonly sandbox?: SandboxedStart;
}

/** What a sandboxed start adds: the wrapper, its environment, and the listening socket handed in as fd 3. */
export interface SandboxedStart {
  readonly wrap: (command: readonly string[]) => { file: string; args: string[] };
  readonly env: Readonly<Record<string, string>>;
  readonly listenFd: number;
  /** Called once the child holds the socket. */
  readonly spawned: () => void;
}

/** How often an adopted supervisor (not our child: no exit event) is checked. */
const ADOPTED_POLL_MS = 250;

export class SupervisorProcess {
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | null = null;

  private constructor(
    readonly pid: number | undefined,
    private readonly rootDir: string,
    watch: (done: (info: ExitInfo) => void) => void,
  ) {
    this.exited = new Promise((resolve) => {
      watch((info) => {
        this.exitInfo ??= info;
        resolve(this.exitInfo);
      });
    });
  }

  private static ofChild(child: ChildProcess, rootDir: string): SupervisorProcess {
    return new SupervisorProcess(child.pid, rootDir, (done) => {
      child.once('exit', (code, signal) => done({ code, signal }));
      child.once('error', () => done({ code: null, signal: 'spawn-error' }));
    });
  }

  /**
   * A supervisor an earlier runtime started (a worker restart): not our child,
   * so its end is seen by polling its pid and start time; how it ended is unknown.
   */
  static adopt(pid: number, startTime: string, rootDir: string): SupervisorProcess {
    return new SupervisorProcess(pid, rootDir, (done) => {
      const timer = setInterval(() => {
        if (isSameProcess(pid, startTime)) return;
        clearInterval(timer);
        done({ code: null, signal: null });
      }, ADOPTED_POLL_MS);
    });
  }

  /** The start time of the process (local/process-identity.ts), for a later runtime to adopt it. */
  get startTime(): string | null {
    return this.pid === undefined ? null : startTimeOf(this.pid);
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
    const command = [
      process.execPath,
      ...nodeArgs(
        'supervisor/main',
        options.specPath,
        ...heartbeatFlag(options.heartbeat.file, options.heartbeat.windowMs),
      ),
    ];
    const { sandbox } = options;
    const { file, args } = sandbox ? sandbox.wrap(command) : { file: command[0]!, args: command.slice(1) };
    const log = openSync(options.logFile, 'a', 0o600);
    try {
      const child = spawn(file, args, {
        cwd: PACKAGE_ROOT,
        env: { ...env, ...sandbox?.env },
        stdio: sandbox ? ['pipe', log, log, sandbox.listenFd] : ['pipe', log, log],
        detached: true,
      });
      sandbox?.spawned();
      child.stdin?.on('error', () => undefined); // the child may be gone before we close the pipe
      return SupervisorProcess.ofChild(child, options.rootDir);
    } finally {
      closeSync(log);
    }
  }

  /**
   * A pre-spawned supervisor (warm-supervisors.ts) becomes this tenant's
   * through the warm-claim protocol: the spec, the secrets and the log file
   * go over its unix socket. A process still loading is not listening yet,
   * so refused connections are retried until it listens or exits.
   */
  static async claim(
    warm: WarmProcess,
    options: StartOptions,
    spec: LaunchPlan['spec'],
  ): Promise<SupervisorProcess> {
    const supervisor = SupervisorProcess.ofChild(warm.child, options.rootDir);
    const body = { spec, secrets: options.secrets, logFile: options.logFile, sentAtMs: Date.now() };
    for (const deadline = Date.now() + CLAIM_WAIT_MS; ;) {
      try {
        await claimWarmSupervisor(
          { socketPath: warm.socketPath },
          warm.claimToken,
          body,
          AbortSignal.timeout(10_000),
        );
        return supervisor;
      } catch (error) {
        const notListening = ['ENOENT', 'ECONNREFUSED'].includes((error as NodeJS.ErrnoException).code ?? '');
        if (!notListening || supervisor.hasExited || Date.now() > deadline) {
          await supervisor.kill();
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
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
    const { pid } = this;
    if (pid === undefined || this.hasExited) return;
    try {
      process.kill(-pid, name); // the whole group: the supervisor and anything it did not detach
    } catch {
      // gone already
    }
  }
}
