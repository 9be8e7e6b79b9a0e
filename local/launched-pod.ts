/**
 * One tenant process the local driver launched: its plan, its supervisor
 * process and what the driver knows about it (starting, ready, stopping).
 * It only watches readiness; draining is the lifecycle core's
 * (runtime/pod-lifecycle.ts), through the one supervisor client.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PodSpec, PodStatus } from '../activities/ports.js';
import { PermanentPortError } from '../activities/errors.js';
import type { Logger } from '../common/logger.js';
import type { LaunchPlan } from '../runtime/launch-plan.js';
import type { PodHandle } from '../workflows/types.js';
import type { PodRecord } from './pod-record.js';
import { SupervisorProcess, type Heartbeat, type SandboxedStart } from './supervisor-process.js';
import type { WarmProcess } from './warm-supervisors.js';

export interface LaunchedPodInput {
  readonly spec: PodSpec;
  readonly plan: LaunchPlan;
  readonly rootDir: string;
  readonly specPath: string;
  readonly logFile: string;
  readonly logger: Logger;
  readonly heartbeat: Heartbeat;
  readonly sandbox?: SandboxedStart;
}

/** What the driver knows of a pod, whether it started it or adopted it from an earlier runtime. */
interface PodFacts {
  readonly endpoint: string;
  /** The supervisor token when this runtime planned the pod; an adopted one's comes from the secret store. */
  readonly token: string | undefined;
  readonly rootDir: string;
  readonly logFile: string;
  readonly readyTimeoutMs: number;
  readonly logger: Logger;
}

/** Restoring a large snapshot comes before the gateway's own start budget. */
const RESTORE_ALLOWANCE_MS = 120_000;
/** The supervisor holds `/readyz?waitMs=` until its gateway is ready, so readiness arrives as it happens. */
const LONG_POLL_MS = 20_000;
/** Between attempts while the supervisor is not listening yet (a freshly spawned process). */
const RETRY_MS = 25;

interface Readiness {
  readonly ready: boolean;
  readonly state: string;
}

export class LaunchedPod implements PodHandle {
  readonly tenantId: string;
  readonly podId: string;
  readonly endpoint: string;
  readonly token: string | undefined;
  readonly rootDir: string;
  readonly closed: Promise<string>;
  state: PodStatus['state'] = 'starting';
  wasReady = false;
  private readonly ready: Promise<void>;
  private terminating: Promise<unknown> | undefined;
  private resolveClosed!: (reason: string) => void;

  private constructor(
    readonly spec: PodSpec,
    readonly process: SupervisorProcess,
    private readonly facts: PodFacts,
    adoptedReady = false,
  ) {
    this.tenantId = spec.tenantId;
    this.podId = spec.podId;
    this.endpoint = facts.endpoint;
    this.token = facts.token;
    this.rootDir = facts.rootDir;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    if (adoptedReady) {
      this.state = 'ready';
      this.wasReady = true;
    }
    this.ready = adoptedReady ? Promise.resolve() : this.pollReady();
    this.ready.catch(() => undefined); // observed through whenReady
  }

  /**
   * Claims `warm` (an idle pre-spawned supervisor) when given, else spawns the
   * supervisor. A claim that fails (the process died, refused or never
   * listened) falls back to a cold start, unless `coldFallback` is false.
   */
  static async start(input: LaunchedPodInput, warm?: WarmProcess, coldFallback = true): Promise<LaunchedPod> {
    const options = {
      rootDir: input.rootDir,
      specPath: input.specPath,
      secrets: input.plan.secrets,
      logFile: input.logFile,
      heartbeat: input.heartbeat,
      ...(input.sandbox && { sandbox: input.sandbox }),
    };
    let process: SupervisorProcess | null = null;
    if (warm)
      process = await SupervisorProcess.claim(warm, options, input.plan.spec).catch((err: unknown) => {
        // A pre-built sandbox's process has no cold twin here: its launch fails, and the workflow retries.
        if (!coldFallback) throw err;
        input.logger.warn({ err, podId: input.spec.podId }, 'warm claim failed; starting cold');
        return null;
      });
    const { listen, readyTimeoutMs } = input.plan.spec;
    return new LaunchedPod(input.spec, process ?? SupervisorProcess.start(options), {
      endpoint: `http://${listen.host}:${listen.port}`,
      token: input.plan.secrets.supervisorToken,
      rootDir: input.rootDir,
      logFile: input.logFile,
      readyTimeoutMs,
      logger: input.logger,
    });
  }

  /** A ready supervisor an earlier runtime started (a worker restart), found through its pod record. */
  static adopt(record: PodRecord, rootDir: string, logger: Logger): LaunchedPod {
    const { slot: _slot, endpoint, pid, startTime, ...spec } = record;
    return new LaunchedPod(
      spec,
      SupervisorProcess.adopt(pid, startTime, rootDir),
      {
        endpoint,
        token: undefined,
        rootDir,
        logFile: join(rootDir, 'logs', 'supervisor.log'),
        readyTimeoutMs: 0,
        logger,
      },
      true,
    );
  }

  get handle(): PodHandle {
    return { podId: this.podId, endpoint: this.endpoint };
  }

  /** Resolves with the handle once the gateway is ready; `signal` abandons the wait, not the pod. */
  async whenReady(signal?: AbortSignal): Promise<PodHandle> {
    if (!signal) await this.ready;
    else
      await Promise.race([
        this.ready,
        new Promise<never>((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('launch wait cancelled')), { once: true }),
        ),
      ]);
    return this.handle;
  }

  /** From here on an exit is expected (a stop or a replacement), not a loss. */
  beginStop(): void {
    if (this.state !== 'gone') this.state = 'stopping';
  }

  /**
   * SIGTERM (a supervisor that was not drained drains itself; that snapshot is
   * left unrecorded), SIGKILL after the grace, then every process of the
   * tenant is swept. Idempotent.
   */
  terminate(graceMs: number): Promise<unknown> {
    this.beginStop();
    this.terminating ??= this.process.terminate(this.process.hasExited ? 0 : Math.max(2_000, graceMs / 2));
    return this.terminating;
  }

  markClosed(reason: string): void {
    this.state = 'gone';
    this.resolveClosed(reason);
  }

  private async pollReady(): Promise<void> {
    const deadline = Date.now() + this.facts.readyTimeoutMs + RESTORE_ALLOWANCE_MS;
    for (;;) {
      if (this.state !== 'starting') throw new Error(`pod ${this.podId} stopped before it was ready`);
      if (this.process.hasExited)
        throw new Error(`pod ${this.podId} exited while starting: ${await this.logTail()}`);
      const readiness = await this.longPollReadiness();
      if (readiness?.ready) {
        this.state = 'ready';
        this.wasReady = true;
        return;
      }
      if (readiness?.state === 'crash-loop' || Date.now() > deadline) {
        const why =
          readiness?.state === 'crash-loop'
            ? 'OpenClaw crash-looped at start'
            : 'not ready before the deadline';
        void this.terminate(5_000);
        throw new PermanentPortError('POD_NOT_READY', `pod ${this.podId}: ${why}: ${await this.logTail()}`);
      }
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }

  /** One long poll; null when the supervisor is not answering (not listening yet, or gone). */
  private async longPollReadiness(): Promise<Readiness | null> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), LONG_POLL_MS + 5_000);
    // A supervisor that dies mid-poll ends the poll at once, whatever its socket does.
    void this.process.exited.then(() => abort.abort());
    try {
      const response = await fetch(`${this.endpoint}/readyz?waitMs=${LONG_POLL_MS}`, {
        signal: abort.signal,
      });
      if (response.status !== 200 && response.status !== 503) return null;
      const body = (await response.json()) as { state: string };
      return { ready: response.status === 200, state: body.state };
    } catch {
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The last lines of the supervisor log, for failure messages (it never holds secret values). */
  private async logTail(): Promise<string> {
    const text = await readFile(this.facts.logFile, 'utf8').catch(() => '');
    return text.split('\n').slice(-6).join('\n').slice(-1500);
  }
}
