import type { Connection } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../common/config.js';
import type { Logger } from '../common/logger.js';
import { registerHealthRoutes, type ReadinessCheck } from './health.js';

/** What server.ts hands the admin listener; it builds its own stores from `config`. */
export interface AdminContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly readiness: Record<string, ReadinessCheck>;
  /** Shared Temporal connection (closed by server.ts). */
  readonly connection: Connection;
  /** Shared Redis client (closed by server.ts). */
  readonly redis: Redis;
}

export interface AdminApp {
  readonly app: FastifyInstance;
  /** Releases what the admin app opened itself (not the shared connection or Redis). */
  close(): Promise<void>;
}

/**
 * The admin listener for operators and billing systems, on its own port and
 * never reachable through the public one.
 */
export function createAdminApp(ctx: AdminContext): Promise<AdminApp> {
  // Typed as Fastify's logger so the app keeps Fastify's default generics.
  const logger: FastifyBaseLogger = ctx.logger.child({ component: 'admin' });
  const app = Fastify({ loggerInstance: logger });
  registerHealthRoutes(app, ctx.readiness);
  return Promise.resolve({ app, close: () => Promise.resolve() });
}
