import type { Logger } from '../common/logger.js';

/**
 * Logs a repeated failure (Redis down, say) once per interval per topic, so
 * an outage under load is visible without writing one line per request.
 * Metrics count every occurrence.
 */
export class WarnOnce {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    /** @default 10_000 */
    private readonly intervalMs = 10_000,
  ) {}

  warn(topic: string, error: unknown, message: string): void {
    const now = Date.now();
    if (now - (this.last.get(topic) ?? -Infinity) < this.intervalMs) return;
    this.last.set(topic, now);
    this.logger.warn({ err: error, topic }, message);
  }
}
