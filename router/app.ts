import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../common/logger.js';
import { registerHealthRoutes, type ReadinessCheck } from './health.js';

export interface PublicAppDeps {
  readonly logger: Logger;
  readonly readiness: Record<string, ReadinessCheck>;
}

/** One megabyte: Telegram updates are far smaller; anything bigger is refused with 413. */
export const PUBLIC_BODY_LIMIT = 1024 * 1024;

/**
 * The public listener (Telegram webhooks, chat API). Built, never listened
 * here: server.ts listens, tests use `app.inject`.
 */
export function buildApp(deps: PublicAppDeps): FastifyInstance {
  // Typed as Fastify's logger so the app keeps Fastify's default generics.
  const logger: FastifyBaseLogger = deps.logger.child({ component: 'router' });
  const app = Fastify({ loggerInstance: logger, bodyLimit: PUBLIC_BODY_LIMIT });
  registerHealthRoutes(app, deps.readiness);
  return app;
}
