/**
 * The model gateway's listener for tenants: `/v1/chat/completions`,
 * `/v1/models` and `/healthz`. Built, never listened here: server.ts
 * listens (on the gateway address, never the public router's), tests use
 * `listen` on a free port. Metrics are on a separate listener (server.ts).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerCompletionsRoute } from './completions-route.js';
import { GatewayError, registerGatewayErrorHandler } from './errors.js';
import { registerModelsRoute } from './models-route.js';
import type { GatewayServices } from './services.js';

/** Prompts carry whole conversations and tool results: generous, but bounded. */
export const GATEWAY_BODY_LIMIT = 16 * 1024 * 1024;

export function buildGatewayApp(services: GatewayServices): FastifyInstance {
  const logger: FastifyBaseLogger = services.logger.child({ component: 'gateway' });
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: GATEWAY_BODY_LIMIT,
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (parent) => parent,
  });
  registerGatewayErrorHandler(app);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new GatewayError('BAD_REQUEST', 'body is not JSON'), undefined);
    }
  });
  app.get('/healthz', () => ({ ok: true }));
  registerCompletionsRoute(app, services);
  registerModelsRoute(app, services);
  app.addHook('onClose', async () => {
    await services.meter.settle({ closing: true });
  });
  return app;
}
