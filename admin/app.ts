/**
 * The admin API as a Fastify app that never listens: admin/wiring.ts
 * wires real adapters and server.ts listens; tests use `app.inject`.
 */
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerHealthRoutes, type ReadinessCheck } from '../router/health.js';
import { registerAuth } from './auth.js';
import type { AdminDeps } from './deps.js';
import { IdempotencyStore } from './idempotency.js';
import { checkRequestPart } from './validation.js';
import { registerProblemHandlers } from './problem.js';
import { fleetUpgradeRoutes } from './routes/fleet-upgrades.js';
import { platformRoutes } from './routes/platform.js';
import { secretRoutes } from './routes/secrets.js';
import { tenantDataRoutes } from './routes/tenant-data.js';
import { tenantRoutes } from './routes/tenants.js';
import { SnapshotService } from './snapshot-service.js';
import { TenantService } from './tenant-service.js';

/** Admin requests carry JSON settings and secrets, never files. */
export const ADMIN_BODY_LIMIT = 64 * 1024;

export interface AdminAppOptions {
  readonly logger: FastifyBaseLogger;
  readonly readiness: Record<string, ReadinessCheck>;
}

export async function buildAdminApp(deps: AdminDeps, options: AdminAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: ADMIN_BODY_LIMIT,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(checkRequestPart);
  registerProblemHandlers(app);
  registerAuth(app, deps.tokens);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'clawfleet admin API',
        version: '1',
        description: 'Operators and billing systems. Errors are RFC 9457 problem+json with a stable `code`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register((scope, _options, done) => {
    scope.addHook('onRoute', (route) => {
      route.config = { ...route.config, access: 'public' };
      route.schema = { tags: ['health'], security: [], ...route.schema };
    });
    registerHealthRoutes(scope, options.readiness);
    scope.get('/v1/openapi.json', { schema: { hide: true } }, () => app.swagger());
    done();
  });
  const service = new TenantService(deps);
  const idempotency = new IdempotencyStore(deps.redis);
  await app.register(tenantRoutes, { deps, service, idempotency });
  await app.register(secretRoutes, { deps, service });
  await app.register(tenantDataRoutes, { deps, service, snapshots: new SnapshotService(deps, service) });
  await app.register(platformRoutes, { deps });
  await app.register(fleetUpgradeRoutes, { deps });
  return app;
}
