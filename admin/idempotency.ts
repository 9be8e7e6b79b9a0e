/**
 * `Idempotency-Key` for tenant creation, in Redis. The first request with a
 * key claims it (`SET NX`, short TTL while it runs); its outcome is stored
 * for 24 hours and a retry with the same key and the same body gets the same
 * answer. Stored answers never hold the one-time API key: a replay says which
 * key id was issued, and a client that lost the key revokes it and issues
 * another (`POST /v1/tenants/:id/api-keys`).
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AdminError } from './errors.js';

const PREFIX = 'clawfleet:admin:idempotency:';
/** How long a claimed key blocks a concurrent retry before the claim is considered abandoned. */
const PENDING_TTL_S = 120;
const DONE_TTL_S = 24 * 3600;
const KEY = /^[A-Za-z0-9_.:-]{8,128}$/;

export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
}

type Entry =
  { state: 'pending'; fingerprint: string } | ({ state: 'done'; fingerprint: string } & StoredResponse);

export class IdempotencyStore {
  constructor(private readonly redis: Redis) {}

  /**
   * Runs `work` once per (principal, key). A retry with the same body replays
   * the stored answer; a different body, or a retry while the first still
   * runs, is refused.
   */
  async run(
    scope: string,
    key: string,
    body: unknown,
    work: () => Promise<{ status: number; body: unknown; stored: unknown }>,
  ): Promise<{ status: number; body: unknown; replayed: boolean }> {
    if (!KEY.test(key)) {
      throw new AdminError(
        400,
        'IDEMPOTENCY_KEY_INVALID',
        'Idempotency-Key must be 8-128 of [A-Za-z0-9_.:-]',
      );
    }
    const redisKey = `${PREFIX}${createHash('sha256').update(`${scope}\0${key}`).digest('hex')}`;
    const fingerprint = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    const pending: Entry = { state: 'pending', fingerprint };
    const claimed = await this.redis.set(redisKey, JSON.stringify(pending), 'EX', PENDING_TTL_S, 'NX');
    if (claimed !== 'OK') {
      const raw = await this.redis.get(redisKey);
      const existing = raw ? (JSON.parse(raw) as Entry) : null;
      if (existing && existing.fingerprint !== fingerprint) {
        throw new AdminError(
          422,
          'IDEMPOTENCY_KEY_REUSED',
          'this Idempotency-Key was used with a different body',
        );
      }
      if (existing?.state === 'done') return { status: existing.status, body: existing.body, replayed: true };
      throw new AdminError(
        409,
        'IDEMPOTENCY_IN_PROGRESS',
        'a request with this Idempotency-Key is still running',
      );
    }
    try {
      const result = await work();
      const done: Entry = { state: 'done', fingerprint, status: result.status, body: result.stored };
      await this.redis.set(redisKey, JSON.stringify(done), 'EX', DONE_TTL_S);
      return { status: result.status, body: result.body, replayed: false };
    } catch (error) {
      // A failed attempt created nothing (the service compensates), so a retry may run again.
      await this.redis.del(redisKey);
      throw error;
    }
  }
}
