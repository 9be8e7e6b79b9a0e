/**
 * OpenClaw's own crash-loop breaker, overridden for a supervised tenant.
 *
 * OpenClaw counts unclean boots in its state database and, after 3 within
 * 5 minutes, starts the control plane but not the channels (docs:
 * gateway/restart-recovery.md "Safety valves"). That history travels with the
 * tenant's state dir: a salvaged dir, or a snapshot of a running gateway, keeps
 * the open boot rows of gateways that died with the pod. So a tenant whose pod
 * was killed a few times in a row would come back without its Telegram
 * channel: the webhook listener never opens, the supervisor never reports
 * ready, and every relaunch adds another unclean boot until the window drains.
 *
 * A supervised gateway already has a breaker that fits the fleet: the
 * supervisor's `crashLoop` policy ends the pod, and the workflow decides what
 * comes next. So when OpenClaw says it held a channel back, the supervisor
 * gives the documented operator override, `channels.start`, for the channels
 * the tenant uses. Once per boot, and again only after a failed attempt.
 */
import type { Logger } from '../common/logger.js';

/** OpenClaw's log line (server-channels): "channel autostart suppressed by crash-loop breaker; …". */
const SUPPRESSED = /channel autostart suppressed by crash-loop breaker/;
/** Enough of the previous output to find the phrase across a chunk boundary. */
const CARRY_CHARS = 120;

export interface ChannelBreakerOptions {
  /** The channels this tenant runs (e.g. `telegram`); nothing to override without one. */
  readonly channels: readonly string[];
  /** `openclaw gateway call channels.start --params {"channel": …}` next to the running gateway. */
  readonly startChannel: (channel: string) => Promise<void>;
  readonly logger: Logger;
}

export class ChannelBreakerOverride {
  private carry = '';
  private suppressed = false;
  private attempt: Promise<void> | null = null;

  constructor(private readonly options: ChannelBreakerOptions) {}

  /** A new gateway process: its output starts afresh. */
  reset(): void {
    this.carry = '';
    this.suppressed = false;
    this.attempt = null;
  }

  /** Gateway output, as it arrives. */
  observe(chunk: string): void {
    if (this.suppressed) return;
    const text = this.carry + chunk;
    this.carry = text.slice(-CARRY_CHARS);
    if (SUPPRESSED.test(text)) this.suppressed = true;
  }

  /**
   * Called while the gateway answers `/readyz` but its channels are not up:
   * starts them if OpenClaw's breaker held them back. Never waits for the CLI.
   */
  overrideIfSuppressed(): void {
    if (!this.suppressed || this.attempt || this.options.channels.length === 0) return;
    const { channels, startChannel, logger } = this.options;
    logger.warn(
      { channels },
      "OpenClaw's crash-loop breaker held the channels back; starting them (the supervisor's own crash-loop policy applies)",
    );
    this.attempt = Promise.all(channels.map(startChannel)).then(
      () => logger.info({ channels }, 'channels started'),
      (err: unknown) => {
        logger.error({ err }, 'could not start the channels; trying again');
        setTimeout(() => (this.attempt = null), 2_000).unref();
      },
    );
  }
}
