/**
 * The answer to the worker's `GET /activity`: OpenClaw's databases
 * (openclaw-activity.ts) plus what the supervisor knows itself, the updates it
 * delivered and the chat requests it proxies. Starts no process, so a burst of
 * probes across a host costs milliseconds each.
 */
import { type Logger } from '../common/logger.js';
import type { AgentActivity } from '../workflows/types.js';
import { type ChildState } from './gateway-child.js';
import { readStoredActivity } from './openclaw-activity.js';

export class ActivityTracker {
  private lastDeliveryAt: number | null = null;
  private lastChatAt: number | null = null;
  private chatsInFlight = 0;
  private readonly reportedMissing = new Set<string>();

  constructor(
    private readonly stateDir: string,
    private readonly logger: Logger,
  ) {}

  /** OpenClaw acknowledged an update durably. */
  delivered(): void {
    this.lastDeliveryAt = Date.now();
  }

  /**
   * Counts a proxied chat request from its start until `done` (idempotent):
   * the databases show it only once its turn is claimed, ~0.2–0.5 s after it
   * reached the gateway, and a client still waiting is work in any case.
   */
  chatStarted(): () => void {
    this.chatsInFlight += 1;
    this.lastChatAt = Date.now();
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      this.chatsInFlight -= 1;
      this.lastChatAt = Date.now();
    };
  }

  /**
   * While the gateway is down only updates accepted but not processed count
   * as in flight: accepted during a drain, they run on the next boot, so the
   * workflow must wake the tenant again.
   */
  report(gateway: ChildState): AgentActivity {
    const stored = readStoredActivity(this.stateDir, {
      live: gateway === 'ready' || gateway === 'stopping',
      nowMs: Date.now(),
    });
    for (const signal of stored.missing) {
      // Normal before the first turn creates the agent database; after that, a schema change upstream.
      if (this.reportedMissing.has(signal)) continue;
      this.reportedMissing.add(signal);
      this.logger.debug({ signal }, 'activity signal not in the database');
    }
    const last = Math.max(0, stored.lastActiveAtMs ?? 0, this.lastDeliveryAt ?? 0, this.lastChatAt ?? 0);
    return {
      // A proxied chat is usually a claimed turn in the databases too: the larger count, not the sum.
      inFlightRuns: Math.max(stored.inFlightRuns, this.chatsInFlight),
      lastActiveAt: last > 0 ? new Date(last).toISOString() : null,
      nextScheduledAt: stored.nextRunAtMs === null ? null : new Date(stored.nextRunAtMs).toISOString(),
    };
  }
}
