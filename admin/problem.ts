/**
 * RFC 9457 problem+json (common/problem.ts) for every error the admin API returns. Codes are
 * stable (clients and the CLI switch on `code`); 5xx answers never carry the
 * internal message, only the request id to find it in the logs.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ClawfleetError } from '../common/errors.js';
import { problem, sendProblem, type Problem } from '../common/problem.js';
import { AdminError } from './errors.js';

/** HTTP status of the stable codes other areas raise. */
const STATUS_BY_CODE: Record<string, number> = {
  TENANT_ID_INVALID: 400,
  REGISTRY_INPUT_INVALID: 400,
  SECRET_NAME_INVALID: 400,
  TENANT_NOT_FOUND: 404,
  SECRET_NOT_FOUND: 404,
  TENANT_EXISTS: 409,
  TENANT_DELETED: 409,
  VERSION_CONFLICT: 409,
  TENANT_OPERATION_REJECTED: 409,
  SNAPSHOT_EXISTS: 409,
};

export function toProblem(error: unknown, request: FastifyRequest): Problem {
  const base = { instance: request.url.split('?')[0], requestId: request.id };
  const make = (status: number, code: string, detail: string, extra: Partial<Problem> = {}): Problem =>
    problem(status, code, detail, { ...base, ...extra });
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const errors = fastifyError.validation.map((v) => ({
      path: `${fastifyError.validationContext ?? 'body'}${v.instancePath || ''}`,
      message: v.message ?? 'is invalid',
    }));
    return make(400, 'VALIDATION_FAILED', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors });
  }
  if (error instanceof AdminError) return make(error.status, error.code, error.message);
  if (error instanceof ClawfleetError && STATUS_BY_CODE[error.code]) {
    const problems = (error as { problems?: readonly string[] }).problems;
    const errors = problems?.map((p) => ({ path: 'body', message: p }));
    return make(STATUS_BY_CODE[error.code]!, error.code, error.message, errors ? { errors } : {});
  }
  if (isTemporalUnavailable(error))
    return make(503, 'TEMPORAL_UNAVAILABLE', 'the workflow service is unavailable; retry later');
  // Fastify's own client errors (bad JSON, body too large, wrong content type) keep their status.
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return make(status, fastifyError.code ?? 'BAD_REQUEST', fastifyError.message);
  }
  return make(500, 'INTERNAL', 'internal error; the request id identifies it in the admin logs');
}

function isTemporalUnavailable(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return name === 'ServiceError' || name === 'ConnectionError';
}

function sendAdminProblem(reply: FastifyReply, answer: Problem): FastifyReply {
  if (answer.status === 401) reply.header('www-authenticate', 'Bearer realm="clawfleet-admin"');
  return sendProblem(reply, answer);
}

/** One error handler and one not-found handler for the whole admin app. */
export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const answer = toProblem(error, request);
    if (answer.status >= 500) request.log.error({ err: error }, 'admin request failed');
    else request.log.info({ code: answer.code, status: answer.status }, 'admin request refused');
    return sendAdminProblem(reply, answer);
  });
  app.setNotFoundHandler((request, reply) =>
    sendAdminProblem(reply, toProblem(new AdminError(404, 'NOT_FOUND', 'no such route'), request)),
  );
}
