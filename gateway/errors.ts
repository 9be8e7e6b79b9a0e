/**
 * Gateway errors, answered the way OpenAI answers (`{ error: { message,
 * type, code } }`) so an agent's OpenAI client classifies them: 401 for a
 * bad model token, 429 for a quota (with the quota named in the message and
 * in `code`, and `Retry-After` when waiting helps), 404 for a model the tier
 * may not use. 5xx answers never carry details; those stay in the log.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { ClawfleetError } from '../common/errors.js';
import { QUOTA_LABELS, type QuotaKind } from '../common/quotas.js';

export type GatewayErrorCode =
  | 'UNAUTHORIZED'
  | 'TENANT_INACTIVE'
  | 'BAD_REQUEST'
  | 'MODEL_NOT_ALLOWED'
  | 'QUOTA_EXCEEDED'
  | 'QUOTA_UNAVAILABLE'
  | 'NO_PROVIDER_KEY'
  | 'UPSTREAM_FAILED';

const STATUS: Record<GatewayErrorCode, [number, string]> = {
  UNAUTHORIZED: [401, 'invalid_request_error'],
  TENANT_INACTIVE: [403, 'permission_error'],
  BAD_REQUEST: [400, 'invalid_request_error'],
  MODEL_NOT_ALLOWED: [404, 'invalid_request_error'],
  // Not `insufficient_quota`: agents (OpenClaw among them) read that as a billing failure of the key and
  // disable it for hours; a quota is a rate limit whose message names its window.
  QUOTA_EXCEEDED: [429, 'rate_limit_error'],
  QUOTA_UNAVAILABLE: [503, 'server_error'],
  NO_PROVIDER_KEY: [503, 'server_error'],
  UPSTREAM_FAILED: [502, 'server_error'],
};

export class GatewayError extends ClawfleetError {
  readonly statusCode: number;
  readonly type: string;
  /** OpenAI's `error.code`: the quota kind for quota refusals. */
  readonly apiCode: string;

  constructor(
    code: GatewayErrorCode,
    message: string,
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown; apiCode?: string },
  ) {
    super(code, message, options);
    [this.statusCode, this.type] = STATUS[code];
    this.apiCode = options?.apiCode ?? code.toLowerCase();
  }
}

/** Seconds until the window of `kind` rolls over (none for concurrency: it frees up when a request ends). */
function retryAfter(kind: QuotaKind, nowMs: number): number | undefined {
  const now = new Date(nowMs);
  if (kind === 'tokensPerMinute') return 60 - now.getUTCSeconds();
  if (kind === 'tokensPerDay')
    return Math.ceil(
      (Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - nowMs) / 1000,
    );
  if (kind === 'tokensPerMonth')
    return Math.ceil((Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) - nowMs) / 1000);
  return kind === 'concurrentModelRequests' ? 1 : undefined;
}

/**
 * A quota refusal. The wording matters: OpenClaw passes a rate limit whose
 * message says "daily/monthly limit reached" straight to the user instead of
 * retrying for minutes, and words like "budget exhausted" or "insufficient
 * quota" would make it a billing failure (a long cool-down of the key).
 */
export function quotaError(kind: QuotaKind, limit: number, nowMs: number): GatewayError {
  const label = QUOTA_LABELS[kind];
  const window =
    kind === 'tokensPerDay'
      ? 'daily limit reached'
      : kind === 'tokensPerMonth'
        ? 'monthly limit reached'
        : 'rate limit';
  return new GatewayError(
    'QUOTA_EXCEEDED',
    `clawfleet quota exceeded: ${label} (${limit}); ${window}. An operator can raise it.`,
    retryAfter(kind, nowMs),
    { apiCode: `quota_${kind}` },
  );
}

export function registerGatewayErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | GatewayError, request, reply) => {
    const known = error instanceof GatewayError;
    const status = known ? error.statusCode : (error.statusCode ?? 500);
    if (status >= 500) request.log.warn({ err: error, reqId: request.id }, 'gateway request failed');
    if (known && error.retryAfterSeconds !== undefined)
      void reply.header('retry-after', String(error.retryAfterSeconds));
    const message = known || status < 500 ? error.message : 'internal error';
    const type = known ? error.type : status < 500 ? 'invalid_request_error' : 'server_error';
    const code = known ? error.apiCode : null;
    return reply.code(status).send({ error: { message, type, code, param: null } });
  });
}
