/**
 * One tenant's supervisor: restores state, runs OpenClaw as its child,
 * forwards deliveries, reports activity, takes snapshots and drains. The HTTP
 * API (http-api.ts) and the entry point (main.ts) are thin layers over this.
 */
import { mkdir } from 'node:fs/promises';
import { type Logger } from '../common/logger.js';
import type { AgentActivity, SnapshotManifest } from '../workflows/types.js';
import { BadRequestError, DrainingError, GatewayUnavailableError } from './errors.js';
import { GatewayChild, type ChildStatus } from './gateway-child.js';
import { ActivityTracker } from './activity-tracker.js';
import { ChatJournal } from './chat-journal.js';
import { ChannelBreakerOverride } from './channel-breaker.js';
import { OpenClawCli } from './openclaw-cli.js';
import { gatewayArgs, gatewayEnv, writeOpenClawConfig } from './gateway-launch.js';
import { type StateSync } from './state-sync.js';
import { podPaths, type SupervisorConfig } from './supervisor-config.js';
import { processTree, residentMb } from './tenant-memory.js';
import { RestartRecoveryGate } from './restart-recovery-gate.js';
import {
  checkTelegramUpdate,
  postTelegramUpdate,
  telegramListening,
  telegramListenerUrl,
} from './telegram-ingress.js';

/** How long a delivery waits for a (re)starting gateway before answering 503 so the caller retries. */
const DELIVERY_READY_WAIT_MS = 30_000;
/** How long after ready a delivery waits for OpenClaw to resume a cut-off turn (it starts right after ready). */
const RECOVERY_WAIT_MS = 20_000;

export interface SupervisorOptions {
  readonly config: SupervisorConfig;
  readonly sync: StateSync;
  readonly logger: Logger;
}

export class Supervisor {
  readonly child: GatewayChild;
  readonly cli: OpenClawCli;
  /** Answers `GET /activity`; http-api.ts reports proxied chat requests to it. */
  readonly tracker: ActivityTracker;
  /** Chat answers by Idempotency-Key, kept in the state dir (chat-journal.ts). */
  readonly chats: ChatJournal;
  private readonly paths: ReturnType<typeof podPaths>;
  private readonly breaker: ChannelBreakerOverride;
  private readonly recovery: RestartRecoveryGate;
  private restored = false;
  private starting: Promise<void> | undefined;
  private draining: Promise<SnapshotManifest | null> | undefined;
  private snapshotChain: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SupervisorOptions) {
    const { spec } = options.config;
    this.paths = podPaths(spec);
    this.tracker = new ActivityTracker(this.paths.stateDir, options.logger.child({ component: 'activity' }));
    this.chats = new ChatJournal({
      stateDir: this.paths.stateDir,
      logger: options.logger.child({ component: 'chat-journal' }),
    });
    const env = gatewayEnv(options.config);
    this.cli = new OpenClawCli({
      node: spec.openclaw.node,
      entry: spec.openclaw.entry,
      env,
      cwd: this.paths.root,
    });
    this.breaker = new ChannelBreakerOverride({
      channels: spec.telegram ? ['telegram'] : [],
      startChannel: async (channel) => {
        await this.cli.json([
          'gateway',
          'call',
          'channels.start',
          '--params',
          JSON.stringify({ channel }),
          '--json',
        ]);
      },
      logger: options.logger.child({ component: 'gateway' }),
    });
    this.recovery = new RestartRecoveryGate({
      stateDir: this.paths.stateDir,
      waitMs: RECOVERY_WAIT_MS,
      logger: options.logger.child({ component: 'restart-recovery' }),
    });
    this.child = new GatewayChild({
      command: spec.openclaw.node,
      args: gatewayArgs(spec, 'gateway', 'run'),
      env,
      cwd: this.paths.root,
      readyUrl: `http://${spec.gateway.host}:${spec.gateway.port}/readyz`,
      readyTimeoutMs: spec.readyTimeoutMs,
      stopTimeoutMs: Math.max(1_000, spec.shutdownGraceMs - spec.snapshotReserveMs),
      crashLoop: spec.crashLoop,
      prepare: async () => {
        this.breaker.reset();
        await this.recovery.arm();
        await writeOpenClawConfig(options.config.spec);
      },
      onOutput: (chunk) => {
        this.breaker.observe(chunk);
        this.recovery.observe(chunk);
      },
      extraReady: () => this.channelsUp(),
      logger: options.logger.child({ component: 'gateway' }),
    });
  }

  get isDraining(): boolean {
    return this.draining !== undefined;
  }

  status(): ChildStatus & { draining: boolean } {
    return { ...this.child.status(), draining: this.isDraining };
  }

  /** Restore the newest snapshot, then start OpenClaw and wait for `/readyz`. */
  start(): Promise<void> {
    this.starting ??= this.startNow();
    return this.starting;
  }

  /**
   * Resolves once the gateway is ready, has failed or stopped, or `ms` have
   * passed: the long poll behind `GET /readyz?waitMs=`, so the runtime learns
   * of readiness when it happens rather than at its next poll.
   */
  async settled(ms: number): Promise<void> {
    const outcome = this.starting
      ? this.starting.then(() => this.child.waitReady())
      : Promise.reject(new Error('not started'));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      outcome.catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, ms))),
    ]);
    clearTimeout(timer);
  }

  private async startNow(): Promise<void> {
    const log = this.options.logger;
    // When this process started: node and module loading come before this line (traced by bench:wake).
    log.info({ processStartedAtMs: Math.round(performance.timeOrigin) }, 'restoring state');
    await Promise.all(
      [this.paths.root, this.paths.home, this.paths.tmp, this.paths.work].map((d) =>
        mkdir(d, { recursive: true, mode: 0o700 }),
      ),
    );
    await this.options.sync.restore();
    this.restored = true;
    await this.chats.prune();
    // A SIGTERM during the restore must not be followed by a gateway start nobody will stop.
    if (this.isDraining) throw new DrainingError();
    await this.child.start();
  }

  /** The gateway's chat endpoint and the token the supervisor adds for the caller. */
  gatewayTarget(): { baseUrl: string; token: string } {
    const { spec, secrets } = this.options.config;
    return { baseUrl: `http://${spec.gateway.host}:${spec.gateway.port}`, token: secrets.gatewayToken! };
  }

  /** Hand a raw Telegram update to OpenClaw's webhook listener; resolves only on its durable ack. */
  async deliverTelegram(body: string): Promise<void> {
    const { spec, secrets } = this.options.config;
    const url = telegramListenerUrl(spec);
    if (!url) throw new BadRequestError('Telegram is not configured for this tenant');
    checkTelegramUpdate(body);
    if (this.isDraining) throw new DrainingError();
    await this.readyWithin(DELIVERY_READY_WAIT_MS);
    // Behind a turn the last gateway's crash cut off, not ahead of it (restart-recovery-gate.ts).
    await this.recovery.recovered();
    await postTelegramUpdate(url, secrets.telegramWebhookSecret!, body, () => this.isDraining);
    this.tracker.delivered();
  }

  /** Busy runs, last activity and the next scheduled run, without starting any process. */
  activity(): AgentActivity {
    const { state, pid } = this.child.status();
    const report = this.tracker.report(state);
    const limitMb = this.options.config.spec.memory?.recycleRssMb;
    if (limitMb === undefined) return report;
    const pids = [process.pid, ...(pid === undefined ? [] : processTree(pid))];
    return { ...report, memory: { rssMb: residentMb(pids), limitMb } };
  }

  /** A consistent snapshot: OpenClaw's backup while it runs, a plain copy when it has stopped. */
  snapshot(): Promise<SnapshotManifest> {
    if (this.isDraining) return Promise.reject(new DrainingError());
    return this.serialized(() => this.snapshotNow());
  }

  /** SIGTERM OpenClaw, wait for it, take the final snapshot. Idempotent; the caller exits afterwards. */
  drain(): Promise<SnapshotManifest | null> {
    this.draining ??= this.serialized(async () => {
      const log = this.options.logger;
      log.info('draining');
      const stopped = await this.child.stop();
      log.info({ seconds: stopped.seconds, clean: stopped.clean }, 'gateway stopped');
      // Never snapshot a state dir that was not restored: it would shadow the tenant's real state.
      if (!this.restored) return null;
      return this.options.sync.snapshotStopped();
    });
    return this.draining;
  }

  private async snapshotNow(): Promise<SnapshotManifest> {
    if (!this.restored) throw new GatewayUnavailableError('not restored', null);
    const { state } = this.child.status();
    if (state === 'ready') return this.options.sync.snapshotLive(this.cli);
    if (state === 'crash-loop' || state === 'stopped') return this.options.sync.snapshotStopped();
    throw new GatewayUnavailableError(state, this.child.status().lastExit);
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.snapshotChain.then(fn, fn);
    this.snapshotChain = run.catch(() => undefined);
    return run;
  }

  private async readyWithin(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new GatewayUnavailableError(this.child.status().state, null)), ms);
    });
    try {
      await Promise.race([this.child.waitReady(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Readiness beyond `/readyz`: the Telegram listener is up (started by hand if OpenClaw's breaker held it back). */
  private async channelsUp(): Promise<boolean> {
    if (await telegramListening(telegramListenerUrl(this.options.config.spec))) return true;
    this.breaker.overrideIfSuppressed();
    return false;
  }
}
