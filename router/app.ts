/**
 * The public listener (Telegram webhooks, chat API, health, metrics). Built,
 * never listened here: server.ts listens, tests use `app.inject`.
 */
import rateLimit from '@fastify/rate-limit';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  type onResponseHookHandler,
} from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from '../common/logger.js';
import { traceRequests } from '../common/request-spans.js';
import type { Tracing } from '../common/tracing.js';
import { registerChatRoute } from './chat-route.js';
import { RouterError, registerErrorHandler } from './errors.js';
import { registerHealthRoutes, type ReadinessCheck } from './health.js';
import { leasedRedisStore } from './leased-rate-limit-store.js';
import { checkWithoutCoercion } from './schemas.js';
import type { RouterLimits, RouterServices } from './services.js';
import { registerTelegramRoute, TELEGRAM_ROUTE } from './telegram-route.js';

export interface PublicAppDeps {
  readonly logger: Logger;
  readonly readiness: Record<string, ReadinessCheck>;
  /** Holds the per-tenant rate-limit counters (shared by all router replicas). */
  readonly redis: Redis;
  readonly services: RouterServices;
  readonly limits: RouterLimits;
  /** This process's OpenTelemetry SDK: a span per tenant request. @default none (untraced) */
  readonly tracing?: Tracing | null;
}

/** One megabyte: Telegram updates are far smaller; anything bigger is refused with 413. */
export const PUBLIC_BODY_LIMIT = 1024 * 1024;

export async function buildApp(deps: PublicAppDeps): Promise<FastifyInstance> {
  // Typed as Fastify's logger so the app keeps Fastify's default generics.
  const logger: FastifyBaseLogger = deps.logger.child({ component: 'router' });
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: PUBLIC_BODY_LIMIT,
    // One line per message at thousands per second is noise; refusals and failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request (a pino child costs an allocation and a bindings string on every message);
    // the few lines a request writes name its id themselves (errors.ts).
    childLoggerFactory: (parent) => parent,
  });
  app.setValidatorCompiler(checkWithoutCoercion);
  registerErrorHandler(app);
  registerJsonBodies(app);
  registerRequestMetrics(app, deps.services);
  if (deps.tracing)
    traceRequests(app, deps.tracing, {
      tenantOf: (request) => (request.params as { tenantId?: string }).tenantId,
      skip: (route) => !route.includes(':tenantId'), // probes and scrapes are no tenant's story
    });

  await app.register(rateLimit, {
    global: false,
    // Budget leased from Redis in blocks (one round trip per block, not per message); never over the limit.
    store: leasedRedisStore(deps.redis, 'clawfleet:ratelimit:'),
    // Appended to each route's own onRequest hooks, so it runs right after authentication (strangers cannot
    // spend a tenant's budget, unknown tenants cost no counter) and before the body is read. When it needs a
    // new lease, its EVALSHA goes out in the same tick as any Redis read of the lookups (auto-pipelined).
    hook: 'onRequest',
    max: deps.limits.rateLimit,
    timeWindow: deps.limits.rateLimitWindowMs,
    keyGenerator: (request: FastifyRequest) => (request.params as { tenantId: string }).tenantId,
    // Redis down: serve unthrottled rather than refuse every message (the outage is counted elsewhere).
    skipOnError: true,
    // Telegram may give up on an update after repeated 4xx answers: over its budget, a tenant that can receive
    // gets a 503 there (retried, like every 5xx); chat clients get the 429 they know how to wait out.
    errorResponseBuilder: (request, context) =>
      new RouterError(
        request.routeOptions.url === TELEGRAM_ROUTE ? 'BUSY' : 'RATE_LIMITED',
        `rate limit exceeded; retry in ${context.after}`,
        Math.ceil(context.ttl / 1000),
      ),
  });

  registerConnectionCloseOnShutdown(app);
  registerHealthRoutes(app, deps.readiness);
  app.get('/metrics', async (_request, reply) =>
    reply
      .type(deps.services.metrics.registry.contentType)
      .send(await deps.services.metrics.registry.metrics()),
  );
  registerTelegramRoute(app, deps.services);
  registerChatRoute(app, deps.services, deps.limits);
  app.addHook('onClose', async () => {
    await deps.services.touches.settle();
    await deps.services.upstream.close();
    deps.services.tracking.close();
  });
  return app;
}

/**
 * Every body is read as a string and parsed as JSON whatever its declared
 * type (Telegram and OpenAI clients send JSON; anything else is a 400). The
 * raw string is kept so the supervisor receives exactly what was sent.
 */
function registerJsonBodies(app: FastifyInstance): void {
  app.decorateRequest('rawBody', '');
  app.decorateRequest('tenant', null);
  app.decorateRequest('endpoint', null);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string;
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new RouterError('BAD_REQUEST', 'body is not JSON'), undefined);
    }
  });
}

/** Requests by route and outcome (status code): bounded labels, no tenant id. */
function registerRequestMetrics(app: FastifyInstance, services: RouterServices): void {
  // Bound to each route when it is added: `request.routeOptions` builds a fresh object on every read.
  app.addHook('onRoute', (route) => {
    const name = route.config?.metricsRoute;
    if (!name) return;
    const count: onResponseHookHandler = (_request, reply, done) => {
      services.metrics.countRequest(name, reply.statusCode);
      done();
    };
    const existing = route.onResponse;
    route.onResponse = existing === undefined ? [count] : [...[existing].flat(), count];
  });
}

/**
 * Once closing, every answer says `Connection: close`. Fastify closes the
 * connections idle when close starts, but one busy then (a forward in flight)
 * would otherwise stay open after its answer until the keep-alive timeout
 * (72 s), holding up the close of the server and of the upstream pools.
 */
function registerConnectionCloseOnShutdown(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
}
