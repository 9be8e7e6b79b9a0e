/**
 * The gateway's hot-path quota counters in Redis, each step one atomic
 * script: `admit` checks the token windows (minute, day, month) and takes a
 * concurrency slot; `record` adds a request's tokens once per request id
 * (a retried request or a re-sent record adds nothing); `release` frees the
 * slot. Concurrency slots are a sorted set scored by start time, so slots a
 * crashed gateway never released expire after `slotTtlMs` instead of
 * leaking. The day and month caps hold across concurrent requests: each
 * request reserves its estimated input plus the output it may produce until
 * it is released, and its output is capped (max_tokens) to what is left.
 */
import type { Redis } from 'ioredis';
import { quotaWindows, type QuotaKind, type Quotas } from '../common/quotas.js';

const PREFIX = 'clawfleet:gw:';
const DAY_S = 86_400;

/*
 * KEYS: minute, day, month, slots (zset), reservations (hash).
 * ARGV: 1-3 token limits, 4 concurrency limit, 5 now, 6 slot ttl, 7 request key,
 *       8 input estimate, 9 wanted output tokens.
 * Day and month are hard caps: what is used plus what requests in flight have
 * reserved plus this request's input must leave room for at least one output
 * token, and the output is granted only up to what is left.
 */
const ADMIT = `
local limits = {tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])}
local kinds = {'tokensPerMinute', 'tokensPerDay', 'tokensPerMonth'}
local minuteUsed = tonumber(redis.call('GET', KEYS[1]) or '0')
if limits[1] >= 0 and minuteUsed >= limits[1] then return {kinds[1], minuteUsed} end
local now = tonumber(ARGV[5])
local expired = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[6]))
for _, key in ipairs(expired) do redis.call('HDEL', KEYS[5], key) end
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[6]))
local limit = tonumber(ARGV[4])
local busy = redis.call('ZCARD', KEYS[4])
if limit >= 0 and busy >= limit then return {'concurrentModelRequests', busy} end
local reserved = 0
for _, v in ipairs(redis.call('HVALS', KEYS[5])) do reserved = reserved + tonumber(v) end
local input = tonumber(ARGV[8])
local grant = tonumber(ARGV[9])
for i = 2, 3 do
  if limits[i] >= 0 then
    local used = tonumber(redis.call('GET', KEYS[i]) or '0')
    local left = limits[i] - used - reserved - input
    if left < 1 then return {kinds[i], used + reserved} end
    if left < grant then grant = left end
  end
end
redis.call('ZADD', KEYS[4], now, ARGV[7])
redis.call('PEXPIRE', KEYS[4], ARGV[6])
redis.call('HSET', KEYS[5], ARGV[7], input + grant)
redis.call('PEXPIRE', KEYS[5], ARGV[6])
return {'ok', grant}
`;

const RECORD = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ${2 * DAY_S}) then return 0 end
local ttls = {120, ${2 * DAY_S}, ${32 * DAY_S}}
for i = 2, 4 do
  redis.call('INCRBY', KEYS[i], ARGV[1])
  redis.call('EXPIRE', KEYS[i], ttls[i - 1])
end
return 1
`;

/** Seeds a window counter from the durable usage unless Redis already counts it. */
const SEED = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 1 end
return 0
`;

/** What a request asks to spend: its estimated input and the output tokens it wants at most. */
export interface TokenAsk {
  readonly input: number;
  readonly output: number;
}

/** Admitted with `outputGrant` output tokens at most (less than asked when a cap is near), or refused. */
export type Admission =
  { readonly ok: true; readonly outputGrant: number } | { readonly ok: false; kind: QuotaKind; used: number };

export interface CounterKeys {
  readonly minute: string;
  readonly day: string;
  readonly month: string;
  readonly slots: string;
  /** Tokens reserved by each request in flight, by request key. */
  readonly reserved: string;
}

export class QuotaCounters {
  constructor(
    private readonly redis: Redis,
    /** A slot older than this is a crashed request's; it should outlast any real one. @default 600_000 */
    private readonly slotTtlMs = 600_000,
  ) {
    redis.defineCommand('cfGwAdmit', { numberOfKeys: 5, lua: ADMIT });
    redis.defineCommand('cfGwRecord', { numberOfKeys: 4, lua: RECORD });
    redis.defineCommand('cfGwSeed', { numberOfKeys: 1, lua: SEED });
  }

  keys(tenantId: string, nowMs: number): CounterKeys {
    const w = quotaWindows(nowMs);
    const base = `${PREFIX}${tenantId}:`;
    return {
      minute: `${base}tpm:${w.minute}`,
      day: `${base}tpd:${w.day}`,
      month: `${base}tpmo:${w.month}`,
      slots: `${base}slots`,
      reserved: `${base}reserved`,
    };
  }

  async admit(
    tenantId: string,
    quotas: Quotas,
    requestKey: string,
    nowMs: number,
    ask: TokenAsk,
  ): Promise<Admission> {
    const k = this.keys(tenantId, nowMs);
    const limit = (n: number) => (Number.isFinite(n) ? n : -1);
    const [kind, used] = (await this.call('cfGwAdmit', [
      k.minute,
      k.day,
      k.month,
      k.slots,
      k.reserved,
      limit(quotas.tokensPerMinute),
      limit(quotas.tokensPerDay),
      limit(quotas.tokensPerMonth),
      limit(quotas.concurrentModelRequests),
      nowMs,
      this.slotTtlMs,
      requestKey,
      Math.max(0, Math.ceil(ask.input)),
      Math.max(1, Math.ceil(ask.output)),
    ])) as [string, number];
    return kind === 'ok'
      ? { ok: true, outputGrant: Number(used) }
      : { ok: false, kind: kind as QuotaKind, used: Number(used) };
  }

  async release(tenantId: string, requestKey: string): Promise<void> {
    const base = `${PREFIX}${tenantId}:`;
    await this.redis.multi().zrem(`${base}slots`, requestKey).hdel(`${base}reserved`, requestKey).exec();
  }

  /** Adds `tokens` to every window once per `requestId`; false when that request was counted already. */
  async record(tenantId: string, requestId: string, tokens: number, startedAtMs: number): Promise<boolean> {
    const k = this.keys(tenantId, startedAtMs);
    const seen = `${PREFIX}${tenantId}:seen:${requestId}`;
    const added = await this.call('cfGwRecord', [seen, k.minute, k.day, k.month, tokens]);
    return added === 1;
  }

  /** Whether the day and month counters exist (a fresh Redis, or a new window, has neither). */
  async missingWindows(tenantId: string, nowMs: number): Promise<{ day: boolean; month: boolean }> {
    const k = this.keys(tenantId, nowMs);
    const [day, month] = await Promise.all([this.redis.exists(k.day), this.redis.exists(k.month)]);
    return { day: day === 0, month: month === 0 };
  }

  /** Sets a window counter to the durable usage unless a concurrent request counted first. */
  async seed(key: string, tokens: number, ttlSeconds: number): Promise<void> {
    await this.call('cfGwSeed', [key, tokens, ttlSeconds]);
  }

  private call(name: string, args: (string | number)[]): Promise<unknown> {
    const command = (
      this.redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>
    )[name]!;
    return command.apply(this.redis, args);
  }
}

export const SEED_TTL_SECONDS = { day: 2 * DAY_S, month: 32 * DAY_S } as const;
