/**
 * The supervisor's HTTP API on the tenant's own address. Built by a function
 * and never listening itself (main.ts listens). Every route except the two
 * probes needs `Authorization: Bearer <supervisor token>` (the worker's
 * credential); the token is compared in constant time over sha256 digests, so
 * neither its value nor its length leaks through timing. The two routes the
 * router forwards to (`/deliver/telegram`, `/v1/chat/completions`) also
 * accept the router's one-time signature (forward-auth.ts): the router holds
 * no supervisor token, and what it sends is useless to anyone who keeps it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { ClawfleetError } from '../common/errors.js';
import { problem, sendProblem } from '../common/problem.js';
import { type Logger } from '../common/logger.js';
import { metricsRoute } from '../common/metrics.js';
import { traceRequests } from '../common/request-spans.js';
import type { Tracing } from '../common/tracing.js';
import { proxyChat } from './chat-proxy.js';
import { BadRequestError } from './errors.js';
import { outcomeOf, SupervisorMetrics } from './metrics.js';
import type { ForwardAuth } from './forward-auth.js';
import { type Supervisor } from './supervisor.js';

export interface SupervisorAppOptions {
  readonly supervisor: Supervisor;
  readonly supervisorToken: string;
  /** Checks the router's signed forwards; without it the forwarded routes take the bearer token only. */
  readonly forwarded?: ForwardAuth;
  readonly logger: Logger;
  /** Replaces the snapshot grant; `/snapshot` and `/drain` bodies may carry a fresh one from the worker. */
  readonly refreshGrant?: (raw: string) => void;
  /** Called after `/drain` has answered; main.ts exits the process there. */
  readonly onDrained?: () => void;
  /** A server span per request (child of the caller's `traceparent`) for this pod's tenant. */
  readonly traced?: { readonly tracing: Tracing; readonly tenantId: string };
}

/** A Telegram update is capped at 1 MB by the router; allow a little framing on top. */
const BODY_LIMIT = 2 * 1024 * 1024;
const MAX_READY_WAIT_MS = 30_000;
/** Unauthenticated and polled: no span, no token. */
const PROBES = new Set(['/healthz', '/readyz']);
/** The routes the router forwards hot-path traffic to. */
const FORWARDED_ROUTES = new Set(['/deliver/telegram', '/v1/chat/completions']);

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  GATEWAY_UNAVAILABLE: 503,
  DRAINING: 503,
  DELIVERY_NOT_ACCEPTED: 502,
  OPENCLAW_CLI_FAILED: 502,
  BAD_REQUEST: 400,
};

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer (\S+)$/i.exec(header ?? '');
  // Always hash and compare, even without a token, so a missing header costs the same.
  const presented = digest(match?.[1] ?? '');
  return timingSafeEqual(presented, expected) && match !== null;
}

export function buildSupervisorApp(options: SupervisorAppOptions) {
  const { supervisor } = options;
  const expected = digest(options.supervisorToken);
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: BODY_LIMIT,
  });

  // Bodies are forwarded byte for byte (OpenClaw verifies and parses them), so keep them as strings.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  registerMetrics(app as unknown as FastifyInstance, supervisor);

  if (options.traced) {
    const { tracing, tenantId } = options.traced;
    // Typed with pino's Logger, which Fastify's default generics do not name; the hooks need nothing of it.
    traceRequests(app as unknown as FastifyInstance, tracing, {
      tenantOf: () => tenantId,
      skip: (route) => PROBES.has(route) || route === '/metrics',
    });
  }

  const refuse = (reply: FastifyReply) =>
    sendProblem(reply.header('www-authenticate', 'Bearer'), problem(401, 'UNAUTHORIZED', 'unauthorized'));
  // Requests that passed on a signature header, to be checked once their body (which it covers) is read.
  const signed = new WeakSet<object>();
  const { forwarded } = options;

  app.addHook('onRequest', async (request, reply) => {
    const url = request.routeOptions.url;
    // Probes carry no token (a kubelet's readiness probe cannot): /readyz reveals only the gateway's state.
    if (url !== undefined && PROBES.has(url)) return;
    const header = request.headers.authorization;
    if (bearerMatches(header, expected)) return;
    // Only a well-formed, fresh signature gets its body read at all.
    if (forwarded && url !== undefined && FORWARDED_ROUTES.has(url) && forwarded.plausible(header)) {
      signed.add(request);
      return;
    }
    await refuse(reply);
  });

  app.addHook('preHandler', async (request, reply) => {
    if (!signed.has(request)) return;
    const sessionKey = request.headers['x-openclaw-session-key'];
    const accepted = forwarded!.accept(request.headers.authorization, {
      method: request.method,
      path: request.url,
      body: typeof request.body === 'string' ? request.body : '',
      sessionKey: typeof sessionKey === 'string' ? sessionKey : undefined,
    });
    if (!accepted) await refuse(reply);
  });

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const code = error instanceof ClawfleetError ? error.code : undefined;
    const fastifyStatus = error.statusCode ?? 500;
    const status: number =
      (code ? STATUS_BY_CODE[code] : undefined) ?? (fastifyStatus < 500 ? fastifyStatus : 500);
    if (status >= 500) request.log.warn({ err: error }, 'request failed');
    // 5xx details stay in the log; 4xx messages are about the caller's own input.
    const message = status < 500 || code ? error.message : 'internal error';
    return sendProblem(reply, problem(status, code ?? 'INTERNAL', message, { requestId: request.id }));
  });

  // Liveness of the supervisor itself: a stuck supervisor is restarted, a crash-looping gateway is not.
  app.get('/healthz', () => ({ ok: true }));

  // `?waitMs=` (at most 30 s) holds the answer until the gateway is ready or has failed: the runtime's long poll.
  app.get<{ Querystring: { waitMs?: string } }>('/readyz', async (request, reply) => {
    const waitMs = Math.min(Number(request.query.waitMs) || 0, MAX_READY_WAIT_MS);
    if (waitMs > 0 && supervisor.status().state !== 'ready') await supervisor.settled(waitMs);
    const status = supervisor.status();
    return reply.code(status.state === 'ready' && !status.draining ? 200 : 503).send(status);
  });

  app.post('/deliver/telegram', async (request) => {
    await supervisor.deliverTelegram(typeof request.body === 'string' ? request.body : '');
    return { accepted: 'durable' };
  });

  app.get('/activity', () => supervisor.activity());

  // The worker sends `{"snapshotGrant": {...}}` with every snapshot and drain, so uploads never run out or expire.
  const takeGrant = (body: unknown) => {
    if (typeof body !== 'string' || body.trim() === '') return;
    let grant: unknown;
    try {
      grant = (JSON.parse(body) as { snapshotGrant?: unknown }).snapshotGrant;
    } catch {
      throw new BadRequestError('body is not JSON');
    }
    if (grant === undefined) return;
    try {
      options.refreshGrant?.(JSON.stringify(grant));
    } catch (err) {
      throw new BadRequestError((err as Error).message);
    }
  };

  app.post('/snapshot', (request) => {
    takeGrant(request.body);
    return supervisor.snapshot();
  });

  app.post('/drain', async (request, reply) => {
    takeGrant(request.body);
    const manifest = await supervisor.drain();
    if (options.onDrained) reply.raw.once('finish', options.onDrained);
    return { manifest };
  });

  app.post('/v1/chat/completions', (request, reply) =>
    proxyChat(
      supervisor,
      supervisor.chats,
      typeof request.body === 'string' ? request.body : '',
      request.headers,
      reply,
      request.log,
    ),
  );

  return app;
}

/** Deliveries and turns counted by the status they were answered with; `GET /metrics` (token required). */
function registerMetrics(app: FastifyInstance, supervisor: Supervisor): void {
  const metrics = new SupervisorMetrics(() => supervisor.status().restarts);
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    if (route === '/deliver/telegram') metrics.deliveries.inc({ outcome: outcomeOf(reply.statusCode) });
    else if (route === '/v1/chat/completions') metrics.turns.inc({ outcome: outcomeOf(reply.statusCode) });
    done();
  });
  metricsRoute(app, metrics.registry);
}
