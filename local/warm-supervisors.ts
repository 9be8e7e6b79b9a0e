/**
 * Idle supervisor processes (`supervisor/main.ts --warm`) with Node and the
 * supervisor's modules (and tsx, from source) already loaded, so a cold wake skips a process
 * start. Each listens on its own unix socket under `<dataDir>/warm/` (mode
 * 700) for the one warm-claim protocol both runtimes use
 * (supervisor/warm-claim.ts): a launch takes one and sends it the tenant's
 * spec, secrets and log file with `POST /claim` and the pool's claim token.
 * The pool is topped up only after that launch is ready, so the
 * replacement's own start never competes with the tenant's OpenClaw for the CPU.
 *
 * Idle processes carry no tenant data, only `CLAWFLEET_WARM_POOL=<data dir>`
 * in their environment (how a sweep finds them). Closing the pool, or the
 * runtime dying, closes their stdin and unclaimed ones exit; a claimed one
 * watches the runtime's heartbeat instead, like any tenant supervisor.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeArgs, PACKAGE_ROOT } from '../common/entry-points.js';
import { PARENT_WATCHDOG_FLAG } from '../common/parent-watchdog.js';
import { heartbeatFlag } from '../common/runtime-heartbeat.js';
import type { Heartbeat, SandboxedStart } from './supervisor-process.js';
import type { WarmConfig } from '../supervisor/warm-config.js';

/** An idle process that ignores its closed stdin this long is killed. */
const CLOSE_GRACE_MS = 2_000;

export interface WarmSupervisorsOptions {
  /** Idle processes to keep (0 turns the pool off). */
  readonly size: number;
  /** The runtime's data dir: the marker in every warm process's environment, and home of their sockets. */
  readonly dataDir: string;
  /** Where idle processes write (they are quiet until claimed; then they write to the tenant's log). */
  readonly logFile: string;
  /** The runtime's heartbeat a claimed process watches (like a supervisor spawned for its tenant). */
  readonly heartbeat: Heartbeat;
}

/** An idle process and where it takes its claim. */
export interface WarmProcess {
  readonly child: ChildProcess;
  readonly socketPath: string;
  readonly claimToken: string;
}

export class WarmSupervisors {
  private idle: WarmProcess[] = [];
  private closed = false;
  private readonly dir: string;
  private readonly claimToken = randomBytes(32).toString('hex');
  private tokenFile: string | undefined;

  constructor(private readonly options: WarmSupervisorsOptions) {
    this.dir = join(options.dataDir, 'warm');
  }

  /** Spawn idle processes up to the pool size. */
  fill(): void {
    this.idle = this.idle.filter(isAlive);
    while (!this.closed && this.idle.length < this.options.size) this.idle.push(this.spawnOne());
  }

  /** An idle process for a launch to claim, or undefined (the launch spawns a supervisor cold). */
  take(): WarmProcess | undefined {
    this.idle = this.idle.filter(isAlive);
    return this.idle.shift();
  }

  async close(): Promise<void> {
    this.closed = true;
    const idle = this.idle.splice(0).filter(isAlive);
    await Promise.all(
      idle.map(async ({ child }) => {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.stdin?.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), CLOSE_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  private spawnOne(): WarmProcess {
    return spawnWarmProcess({
      dir: this.dir,
      tokenFile: this.ensureTokenFile(),
      claimToken: this.claimToken,
      logFile: this.options.logFile,
      heartbeat: this.options.heartbeat,
      dataDir: this.options.dataDir,
    });
  }

  /** The pool's claim token, in a mode-600 file in a mode-700 directory of the runtime. */
  private ensureTokenFile(): string {
    if (this.tokenFile) return this.tokenFile;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = join(this.dir, 'claim-token');
    writeFileSync(file, this.claimToken, { mode: 0o600 });
    this.tokenFile = file;
    return file;
  }
}

/** Where and how one warm process is spawned: in the pool's dir, or in a pre-built sandbox (warm-sandboxes.ts). */
export interface WarmSpawn {
  /** Its config and claim socket go here. */
  readonly dir: string;
  readonly tokenFile: string;
  readonly claimToken: string;
  readonly logFile: string;
  readonly heartbeat: Heartbeat;
  /** The runtime's data dir: the marker in its environment. */
  readonly dataDir: string;
  /** The slot sandbox it starts in: the wrapper, its uid (owner of its config), its socket and egress env. */
  readonly sandbox?: SandboxedStart & { readonly uid: number };
}

export function spawnWarmProcess(options: WarmSpawn): WarmProcess {
  const id = randomBytes(6).toString('hex');
  const socketPath = join(options.dir, `${id}.sock`);
  const configPath = join(options.dir, `${id}.json`);
  const warm: WarmConfig = { socket: socketPath, claimTokenFile: options.tokenFile, logLevel: 'info' };
  writeFileSync(configPath, JSON.stringify(warm), { mode: 0o600 });
  const { sandbox } = options;
  if (sandbox) chownSync(configPath, sandbox.uid, sandbox.uid);
  const command = [
    process.execPath,
    ...nodeArgs(
      'supervisor/main',
      '--warm',
      configPath,
      PARENT_WATCHDOG_FLAG, // until claimed: the pool's pipe; then the heartbeat
      ...heartbeatFlag(options.heartbeat.file, options.heartbeat.windowMs),
    ),
  ];
  const { file, args } = sandbox ? sandbox.wrap(command) : { file: command[0]!, args: command.slice(1) };
  const log = openSync(options.logFile, 'a', 0o600);
  try {
    const child = spawn(file, args, {
      cwd: PACKAGE_ROOT,
      env: {
        PATH: process.env['PATH'],
        LANG: 'C.UTF-8',
        CLAWFLEET_WARM_POOL: options.dataDir,
        ...sandbox?.env,
      },
      // A file, not a pipe, for stdout/stderr: a claimed process moves its output to the tenant's log.
      stdio: sandbox ? ['pipe', log, log, sandbox.listenFd] : ['pipe', log, log],
      detached: true,
    });
    sandbox?.spawned();
    child.stdin?.on('error', () => undefined); // it may exit before we write or close
    child.once('error', () => undefined); // a failed spawn shows as not alive
    child.once('exit', () => {
      rmSync(configPath, { force: true });
      rmSync(socketPath, { force: true });
    });
    return { child, socketPath, claimToken: options.claimToken };
  } finally {
    closeSync(log);
  }
}

export function isAlive({ child }: WarmProcess): boolean {
  return child.exitCode === null && child.signalCode === null && child.pid !== undefined;
}
