/**
 * One error format for every HTTP surface of clawfleet (admin API, public
 * router, tenant supervisor): RFC 9457 problem+json with a stable `code`
 * that clients switch on. 5xx details stay in the logs. Each surface maps
 * its own codes to statuses; this module only shapes and sends the answer.
 */
import type { FastifyReply } from 'fastify';

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
  /** The chat API's OpenAI-compatible clients read `error.message`: an extension member for them. */
  readonly error?: { readonly message: string; readonly type: string; readonly code: string };
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export function problemType(code: string): string {
  return `urn:clawfleet:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}

export function problem(status: number, code: string, detail: string, extra: Partial<Problem> = {}): Problem {
  return { type: problemType(code), title: TITLES[status] ?? 'Error', status, detail, code, ...extra };
}

export function sendProblem(reply: FastifyReply, answer: Problem): FastifyReply {
  return reply.code(answer.status).type(PROBLEM_CONTENT_TYPE).send(answer);
}

/** The stable code of a problem+json (or older `{error}`) body from another clawfleet process. */
export function problemCode(body: unknown): string | undefined {
  const parsed = body as { code?: unknown; error?: unknown } | null | undefined;
  if (typeof parsed?.code === 'string') return parsed.code;
  return typeof parsed?.error === 'string' ? parsed.error : undefined;
}
