/**
 * Debounced `touch` signals: a busy tenant sends one per interval, not one
 * per message. Each process debounces locally, and a Redis `SET NX PX`
 * shared by all router replicas picks one of them per interval; with Redis
 * down each process debounces on its own. A touch never
 * starts a workflow: a tenant without one has nothing to keep awake.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { assertTenantId } from '../common/ids.js';
import type { Logger } from '../common/logger.js';
import { tenantWorkflowId, touchSignal } from '../workflows/shared.js';
import { setBounded } from './bounded-map.js';
import { WarnOnce } from './warn-once.js';

export const TOUCH_KEY_PREFIX = 'clawfleet:touch:';

export interface TouchDebouncerOptions {
  readonly redis: Redis;
  readonly client: Client;
  readonly logger: Logger;
  /** @default 30_000 */
  readonly intervalMs?: number;
}

export class TouchDebouncer {
  private readonly intervalMs: number;
  private readonly localLast = new Map<string, number>();
  private readonly warn: WarnOnce;
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly options: TouchDebouncerOptions) {
    this.intervalMs = options.intervalMs ?? 30_000;
    this.warn = new WarnOnce(options.logger);
  }

  /**
   * Fire and forget: the caller has already answered; a lost touch only moves the idle deadline less.
   * Each process asks Redis at most once per interval per tenant (a local check first, so a busy tenant
   * costs no Redis command per message); Redis then picks one replica. With several replicas a touch can
   * come up to two intervals apart, far inside any idle timeout.
   */
  touch(tenantId: string): void {
    const now = Date.now();
    if (now - (this.localLast.get(tenantId) ?? -Infinity) < this.intervalMs) return;
    setBounded(this.localLast, tenantId, now, 10_000);
    const work = this.touchNow(assertTenantId(tenantId)).finally(() => this.pending.delete(work));
    this.pending.add(work);
  }

  /** Waits for touches still being sent (graceful shutdown, tests). */
  async settle(): Promise<void> {
    await Promise.all(this.pending);
  }

  private async touchNow(tenantId: string): Promise<void> {
    if (!(await this.claim(tenantId))) return;
    try {
      await this.options.client.workflow.getHandle(tenantWorkflowId(tenantId)).signal(touchSignal);
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) this.warn.warn('touch', error, 'touch signal failed');
    }
  }

  /** True when this process should send the touch for this interval (the local check has passed). */
  private async claim(tenantId: string): Promise<boolean> {
    try {
      const set = await this.options.redis.set(TOUCH_KEY_PREFIX + tenantId, '1', 'PX', this.intervalMs, 'NX');
      return set === 'OK';
    } catch (error) {
      this.warn.warn('touch-redis', error, 'touch debounce unavailable in Redis; debouncing locally');
      return true;
    }
  }
}
