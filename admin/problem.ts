/**
 * RFC 9457 problem+json for every error the admin API returns. Codes are
 * stable (clients and the CLI switch on `code`); 5xx answers never carry the
 * internal message, only the request id to find it in the logs.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ClawfleetError } from '../common/errors.js';
import { AdminError } from './errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly instance?: string;
  readonly requestId?: string;
  readonly errors?: readonly { path: string; message: string }[];
}

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

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problemType(code: string): string {
  return `urn:clawfleet:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}

export function toProblem(error: unknown, request: FastifyRequest): Problem {
  const base = { instance: request.url.split('?')[0], requestId: request.id };
  const make = (status: number, code: string, detail: string, extra: Partial<Problem> = {}): Problem => ({
    type: problemType(code),
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...base,
    ...extra,
  });
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

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  if (problem.status === 401) reply.header('www-authenticate', 'Bearer realm="clawfleet-admin"');
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/** One error handler and one not-found handler for the whole admin app. */
export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error, request);
    if (problem.status >= 500) request.log.error({ err: error }, 'admin request failed');
    else request.log.info({ code: problem.code, status: problem.status }, 'admin request refused');
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, toProblem(new AdminError(404, 'NOT_FOUND', 'no such route'), request)),
  );
}
