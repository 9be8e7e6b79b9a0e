import type { FastifyInstance } from 'fastify';

/** A dependency the process needs to serve traffic; throws when it is unreachable. */
export type ReadinessCheck = () => Promise<void>;

/**
 * `/healthz` answers while the process runs; `/readyz` answers 200 only when
 * every dependency check passes, naming the failing ones otherwise (no error
 * details leak, just which dependency).
 */
export function registerHealthRoutes(app: FastifyInstance, checks: Record<string, ReadinessCheck>): void {
  app.get('/healthz', (_request, reply) => reply.send({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await check();
          return [name, 'ok'] as const;
        } catch (error) {
          request.log.warn({ dependency: name, err: error }, 'readiness check failed');
          return [name, 'unavailable'] as const;
        }
      }),
    );
    const body = Object.fromEntries(results);
    const ready = results.every(([, state]) => state === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', dependencies: body });
  });
}
