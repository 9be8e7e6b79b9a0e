/**
 * Runs OpenClaw (`openclaw gateway run`) as the supervisor's child: start and
 * wait for readiness, stop with SIGTERM-then-wait, restart after a crash with
 * exponential backoff, and give up (state `crash-loop`) after too many crashes
 * in a window instead of spinning. OpenClaw counts unclean boots itself and
 * stops auto-starting channels after 3 in 5 minutes (channel-breaker.ts), so
 * SIGKILL is only ever a last resort after the stop timeout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { type Logger } from '../common/logger.js';
import { GatewayUnavailableError } from './errors.js';
import { GatewayHelpers, signalQuietly } from './gateway-helpers.js';

export type ChildState = 'stopped' | 'starting' | 'ready' | 'backoff' | 'crash-loop' | 'stopping';

export interface CrashLoopPolicy {
  readonly maxCrashes: number;
  readonly windowMs: number;
  /** First restart delay; doubles per crash in the window. */
  readonly backoffMs: number;
}

export interface GatewayChildOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Polled until it answers 200 (`/readyz`: `/health` answers before channels are up). */
  readonly readyUrl: string;
  readonly readyTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly crashLoop: CrashLoopPolicy;
  /** Also required for readiness (channel listeners start up to ~1 s after `/readyz`). */
  readonly extraReady?: () => Promise<boolean>;
  /** Runs before every start and restart (rewrites openclaw.json). */
  readonly prepare?: () => Promise<void>;
  /** Every chunk of the gateway's output, as it arrives. */
  readonly onOutput?: (chunk: string) => void;
  readonly logger: Logger;
}

export interface ChildStatus {
  readonly state: ChildState;
  readonly pid: number | undefined;
  readonly restarts: number;
  readonly recentCrashes: number;
  readonly lastExit: string | null;
}

const TAIL_BYTES = 4096;
/**
 * Readiness probes are loopback requests that cost well under a millisecond
 * each; every millisecond between "ready" and noticing it is on a cold wake's
 * critical path, so probe often.
 */
const READY_POLL_MS = 25;

export class GatewayChild {
  private state: ChildState = 'stopped';
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private crashes: number[] = [];
  private restarts = 0;
  private lastExit: string | null = null;
  private tail = '';
  private backoffTimer: NodeJS.Timeout | undefined;
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private readonly helpers = new GatewayHelpers();

  constructor(private readonly options: GatewayChildOptions) {}

  status(): ChildStatus {
    const since = Date.now() - this.options.crashLoop.windowMs;
    return {
      state: this.state,
      pid: this.child?.pid,
      restarts: this.restarts,
      recentCrashes: this.crashes.filter((t) => t > since).length,
      lastExit: this.lastExit,
    };
  }

  /** Start and resolve when ready; rejects if it crash-loops first. */
  async start(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'crash-loop') {
      this.crashes = [];
      await this.launch();
    }
    return this.waitReady();
  }

  waitReady(): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    if (this.state === 'crash-loop' || this.state === 'stopped' || this.state === 'stopping')
      return Promise.reject(new GatewayUnavailableError(this.state, this.lastExit));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** SIGTERM, wait for exit (SIGKILL after `stopTimeoutMs`), then sweep leftovers. Idempotent. */
  async stop(): Promise<{ seconds: number; clean: boolean }> {
    clearTimeout(this.backoffTimer);
    const child = this.child;
    const wasRunning = child !== undefined && child.exitCode === null && child.signalCode === null;
    this.state = 'stopping';
    this.settle(new GatewayUnavailableError('stopping', this.lastExit));
    const t0 = Date.now();
    let clean = true;
    if (wasRunning) {
      await this.helpers.record(child.pid!);
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        clean = false;
        this.options.logger.warn({ pid: child.pid }, 'gateway ignored SIGTERM; killing it');
        signalQuietly(-child.pid!, 'SIGKILL');
      }, this.options.stopTimeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    await this.helpers.sweep(this.child?.pid);
    this.state = 'stopped';
    return { seconds: (Date.now() - t0) / 1000, clean };
  }

  private async launch(): Promise<void> {
    this.state = 'starting';
    try {
      await this.options.prepare?.();
    } catch (err) {
      this.options.logger.error({ err }, 'preparing the gateway failed');
      this.onExit(`prepare failed: ${(err as Error).message}`);
      return;
    }
    if (this.state !== 'starting') return; // stopped while preparing
    const child = spawn(this.options.command, [...this.options.args], {
      env: this.options.env,
      cwd: this.options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so a stop can reach its helpers
    });
    this.child = child;
    this.tail = '';
    const keep = (chunk: Buffer) => {
      const text = chunk.toString();
      this.tail = (this.tail + text).slice(-TAIL_BYTES);
      this.options.onOutput?.(text);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        resolve();
        if (this.child === child) this.onExit(signal ? `killed by ${signal}` : `exited with code ${code}`);
      });
      child.once('error', (err) => {
        resolve();
        if (this.child === child) this.onExit(`failed to spawn: ${err.message}`);
      });
    });
    this.options.logger.info({ pid: child.pid }, 'gateway started');
    void this.pollReady(child, Date.now());
  }

  private async pollReady(child: ChildProcess, started: number): Promise<void> {
    const deadline = started + this.options.readyTimeoutMs;
    let readyzAt: number | null = null;
    while (this.child === child && this.state === 'starting') {
      if (readyzAt === null) {
        const readyz = await fetch(this.options.readyUrl, { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.status === 200,
          () => false,
        );
        if (readyz) {
          readyzAt = Date.now();
          this.options.logger.info({ readySeconds: (readyzAt - started) / 1000 }, 'gateway /readyz 200');
        }
      }
      const ok = readyzAt !== null && (await (this.options.extraReady?.() ?? true));
      if (ok && this.child === child && this.state === 'starting') {
        this.state = 'ready';
        this.settle();
        this.options.logger.info(
          {
            readySeconds: (Date.now() - started) / 1000,
            afterReadyzSeconds: (Date.now() - readyzAt!) / 1000,
          },
          'gateway ready',
        );
        await this.helpers.record(child.pid!);
        return;
      }
      if (Date.now() > deadline) {
        // Counted as a crash by onExit when it exits; SIGTERM keeps OpenClaw's own breaker quiet.
        this.options.logger.warn({ timeoutMs: this.options.readyTimeoutMs }, 'gateway not ready in time');
        child.kill('SIGTERM');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    }
  }

  private onExit(reason: string): void {
    this.lastExit = reason;
    if (this.state === 'stopping' || this.state === 'stopped') return;
    const now = Date.now();
    const { maxCrashes, windowMs, backoffMs } = this.options.crashLoop;
    this.crashes = [...this.crashes.filter((t) => t > now - windowMs), now];
    void this.helpers.sweep(this.child?.pid);
    const log = this.options.logger;
    if (this.crashes.length >= maxCrashes) {
      this.state = 'crash-loop';
      log.error(
        { reason, crashes: this.crashes.length, output: this.tail.slice(-1500) },
        'gateway crash loop',
      );
      this.settle(new GatewayUnavailableError('crash-loop', reason));
      return;
    }
    const delay = backoffMs * 2 ** (this.crashes.length - 1);
    this.state = 'backoff';
    log.warn({ reason, delayMs: delay, output: this.tail.slice(-1500) }, 'gateway crashed; restarting');
    this.backoffTimer = setTimeout(() => {
      if (this.state !== 'backoff') return;
      this.restarts += 1;
      void this.launch();
    }, delay);
  }

  private settle(error?: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (error) w.reject(error);
      else w.resolve();
    }
  }
}
