import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../common/logger.js';
import { registerHealthRoutes, type ReadinessCheck } from './health.js';

export interface AdminAppDeps {
  readonly logger: Logger;
  readonly readiness: Record<string, ReadinessCheck>;
}

/**
 * The admin listener for operators and billing systems, on its own port and
 * never reachable through the public one.
 */
export function buildAdminApp(deps: AdminAppDeps): FastifyInstance {
  // Typed as Fastify's logger so the app keeps Fastify's default generics.
  const logger: FastifyBaseLogger = deps.logger.child({ component: 'admin' });
  const app = Fastify({ loggerInstance: logger });
  registerHealthRoutes(app, deps.readiness);
  return app;
}
