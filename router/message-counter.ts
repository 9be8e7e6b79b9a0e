/**
 * Messages per tenant and UTC day, counted by the router for every message
 * it accepts (hot and cold path, Telegram and chat), and the
 * `messagesPerDay` quota checked against that count. One Redis script per
 * message: it refuses at the limit, and counts a Telegram update once per
 * `update_id` (Telegram re-sends an update whose answer it did not get).
 * The worker's `recordUsage` activity copies the counts into the usage table
 * (registry/usage.ts `putDayMessages`), so they outlive Redis.
 *
 * Redis down: fail open (messages are not refused, and not counted): the
 * router's job is to deliver; token budgets are what cost money.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../common/logger.js';
import { quotaWindows } from '../common/quotas.js';
import { MESSAGE_COUNT_PREFIX, messageCountKey } from '../endpoints/message-count-keys.js';
import { WarnOnce } from './warn-once.js';

/** Long enough for the worker's activity to copy a day's count after a tenant slept across midnight. */
const COUNT_TTL_S = 8 * 86_400;

/** KEYS: count, dedupe marker (or ''). ARGV: limit (-1 none), count now (1) or only check (0). */
const ADMIT = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local limit = tonumber(ARGV[1])
if KEYS[2] ~= '' and redis.call('EXISTS', KEYS[2]) == 1 then return used end
if limit >= 0 and used >= limit then return -1 end
if ARGV[2] == '0' then return used end
if KEYS[2] ~= '' then redis.call('SET', KEYS[2], '1', 'EX', 2 * 86400) end
used = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ${COUNT_TTL_S})
return used
`;

export class MessageCounter {
  private readonly warn: WarnOnce;

  constructor(
    private readonly redis: Redis,
    logger: Logger,
  ) {
    this.warn = new WarnOnce(logger);
    redis.defineCommand('cfMessageAdmit', { numberOfKeys: 2, lua: ADMIT });
  }

  /**
   * Counts a message unless the tenant used its day's messages (false) or
   * `dedupeId` was counted already. `countNow: false` only checks (the chat
   * route counts a turn once the agent took it, with `count`).
   */
  async admit(
    tenantId: string,
    limit: number | null,
    options: { dedupeId?: string; countNow?: boolean } = {},
  ): Promise<boolean> {
    const day = quotaWindows(Date.now()).day;
    const marker = options.dedupeId ? `${MESSAGE_COUNT_PREFIX}seen:${tenantId}:${options.dedupeId}` : '';
    try {
      const used = await this.run(
        messageCountKey(tenantId, day),
        marker,
        limit ?? -1,
        options.countNow === false ? 0 : 1,
      );
      return used !== -1;
    } catch (error) {
      this.warn.warn('message-count', error, 'message counter unavailable: messages not counted or limited');
      return true;
    }
  }

  async count(tenantId: string): Promise<void> {
    await this.admit(tenantId, null);
  }

  private run(...args: (string | number)[]): Promise<number> {
    const command = (this.redis as unknown as Record<string, (...a: (string | number)[]) => Promise<number>>)[
      'cfMessageAdmit'
    ]!;
    return command.apply(this.redis, args);
  }
}
