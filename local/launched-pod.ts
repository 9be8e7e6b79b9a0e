/**
 * One tenant process the local runtime launched: its plan, its supervisor
 * process and what the runtime knows about it (starting, ready, stopping).
 * Talks to the supervisor with the tenant's own supervisor token.
 */
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { PodSpec, PodStatus } from '../activities/ports.js';
import { PermanentPortError } from '../activities/errors.js';
import type { Logger } from '../common/logger.js';
import { SupervisorAgentClient } from '../runtime/supervisor-client.js';
import type { LaunchPlan } from '../runtime/launch-plan.js';
import type { AgentActivity, PodHandle, SnapshotManifest } from '../workflows/types.js';
import { SupervisorProcess } from './supervisor-process.js';

export interface LaunchedPodInput {
  readonly spec: PodSpec;
  readonly plan: LaunchPlan;
  readonly rootDir: string;
  readonly specPath: string;
  readonly logFile: string;
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
  readonly token: string;
  readonly rootDir: string;
  readonly closed: Promise<string>;
  state: PodStatus['state'] = 'starting';
  wasReady = false;
  private readonly launchedAt = Date.now();
  private readonly client: SupervisorAgentClient;
  private readonly ready: Promise<void>;
  private stopping: Promise<SnapshotManifest | null> | undefined;
  private resolveClosed!: (reason: string) => void;

  private constructor(
    readonly spec: PodSpec,
    readonly process: SupervisorProcess,
    private readonly input: LaunchedPodInput,
  ) {
    this.tenantId = spec.tenantId;
    this.podId = spec.podId;
    const { listen } = input.plan.spec;
    this.endpoint = `http://${listen.host}:${listen.port}`;
    this.token = input.plan.secrets.supervisorToken!;
    this.rootDir = input.rootDir;
    this.client = new SupervisorAgentClient({ token: () => this.token, timeoutMs: 10_000 });
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.ready = this.pollReady();
    this.ready.catch(() => undefined); // observed through whenReady
  }

  /** Claims `warm` (an idle pre-spawned supervisor) when given, else spawns the supervisor. */
  static start(input: LaunchedPodInput, warm?: ChildProcess): LaunchedPod {
    const options = {
      rootDir: input.rootDir,
      specPath: input.specPath,
      secrets: input.plan.secrets,
      logFile: input.logFile,
    };
    const process = warm ? SupervisorProcess.claim(warm, options) : SupervisorProcess.start(options);
    return new LaunchedPod(input.spec, process, input);
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

  activity(): Promise<AgentActivity> {
    return this.client.activity(this.handle);
  }

  /** Last activity for LRU choice: the agent's own report, else when we launched it. */
  lastActive(activity: AgentActivity | null): number {
    const reported = activity?.lastActiveAt ? Date.parse(activity.lastActiveAt) : NaN;
    return Number.isFinite(reported) ? reported : this.launchedAt;
  }

  /** Drain (final snapshot after OpenClaw stopped), then make sure every process is gone. Idempotent. */
  stop(graceMs: number): Promise<SnapshotManifest | null> {
    this.stopping ??= this.stopNow(graceMs);
    return this.stopping;
  }

  markClosed(reason: string): void {
    this.state = 'gone';
    this.resolveClosed(reason);
  }

  private async stopNow(graceMs: number): Promise<SnapshotManifest | null> {
    const wasServing = this.state === 'ready';
    this.state = 'stopping';
    let manifest: SnapshotManifest | null = null;
    if (wasServing && !this.process.hasExited) {
      try {
        manifest = await this.client.drain(this.handle, { signal: AbortSignal.timeout(graceMs) });
      } catch (err) {
        this.input.logger.warn({ err, podId: this.podId }, 'drain failed; terminating');
      }
    }
    await this.process.terminate(this.process.hasExited ? 0 : Math.max(2_000, graceMs / 2));
    return manifest;
  }

  private async pollReady(): Promise<void> {
    const deadline = Date.now() + this.input.plan.spec.readyTimeoutMs + RESTORE_ALLOWANCE_MS;
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
        void this.stop(5_000);
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
    const text = await readFile(this.input.logFile, 'utf8').catch(() => '');
    return text.split('\n').slice(-6).join('\n').slice(-1500);
  }
}
