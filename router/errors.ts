/**
 * Router errors and the one Fastify error handler of the public listener,
 * answering in problem+json (common/problem.ts) like the admin API and the
 * supervisor, with an OpenAI-style `error` member for chat clients.
 * Every refusal has a stable code and status; 5xx answers never carry
 * details (those stay in the log), and 503s say when to retry, which both
 * Telegram and well-behaved chat clients honour.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { ClawfleetError } from '../common/errors.js';
import { problem, sendProblem } from '../common/problem.js';

export type RouterErrorCode =
  | 'TENANT_UNKNOWN'
  | 'UNAUTHORIZED'
  | 'TENANT_INACTIVE'
  | 'RATE_LIMITED'
  | 'QUOTA_EXCEEDED'
  | 'BUSY'
  | 'BAD_REQUEST'
  | 'COLD_PATH_UNAVAILABLE'
  | 'REGISTRY_UNAVAILABLE'
  | 'WAKE_TIMEOUT'
  | 'UPSTREAM_UNAVAILABLE'
  | 'UPSTREAM_FAILED';

const STATUS: Record<RouterErrorCode, number> = {
  TENANT_UNKNOWN: 404,
  UNAUTHORIZED: 401,
  TENANT_INACTIVE: 403,
  RATE_LIMITED: 429,
  QUOTA_EXCEEDED: 429,
  BUSY: 503,
  BAD_REQUEST: 400,
  COLD_PATH_UNAVAILABLE: 503,
  REGISTRY_UNAVAILABLE: 503,
  WAKE_TIMEOUT: 503,
  UPSTREAM_UNAVAILABLE: 503,
  UPSTREAM_FAILED: 502,
};

/** Errors of other areas the router lets through, by code. */
const FOREIGN_STATUS: Readonly<Record<string, number>> = {
  TENANT_DELETED: 404, // offboarded: never resurrect a tenant from a webhook
  TENANT_ID_INVALID: 404,
  TENANT_OPERATION_REJECTED: 503, // e.g. wake refused while the tenant is failed
};

/**
 * `Retry-After` while a shared dependency is down (the registry, Temporal):
 * such an outage lasts about as long as a process restart (a second or two in
 * the chaos suite), so a client told 5 s waited out most of that for nothing.
 * A waiting client costs the recovering dependency one request a second.
 */
export const DEPENDENCY_RETRY_AFTER_S = 1;

export class RouterError extends ClawfleetError {
  readonly statusCode: number;

  constructor(
    code: RouterErrorCode,
    message: string,
    /** Seconds for `Retry-After`, when retrying later can succeed. */
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.statusCode = STATUS[code];
  }
}

export function statusOf(error: unknown): number {
  if (error instanceof RouterError) return error.statusCode;
  if (error instanceof ClawfleetError) return FOREIGN_STATUS[error.code] ?? 500;
  const status = (error as Partial<FastifyError> | null)?.statusCode;
  // Fastify's own 4xx (body too large, bad content type, validation) are about the caller's input.
  return typeof status === 'number' && status >= 400 && status < 500 ? status : 500;
}

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const status = statusOf(error);
    const code =
      error instanceof ClawfleetError
        ? error.code
        : status === 500
          ? 'INTERNAL'
          : ((error as Partial<FastifyError>).code ?? 'BAD_REQUEST');
    if (status >= 500) request.log.error({ err: error, reqId: request.id }, 'request failed');
    else request.log.info({ code, status, reqId: request.id }, 'request refused');
    const retryAfter = error instanceof RouterError ? error.retryAfterSeconds : undefined;
    if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
    const message = status >= 500 && !(error instanceof RouterError) ? 'internal error' : errorMessage(error);
    return sendProblem(
      reply,
      problem(status, code, message, {
        instance: request.url.split('?')[0]!,
        requestId: request.id,
        error: { message, type: code, code },
      }),
    );
  });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 300) : 'refused';
}
