/**
 * How clawfleet serves a component's Prometheus registry (each component has
 * its own, so tests can build many side by side): as a route on an app it
 * already has, or on a listener of its own (the model gateway's, the
 * worker's) that answers nothing but `/metrics` and `/healthz`.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/** `GET /metrics` of `registry` on `app`. */
export function metricsRoute(app: Pick<FastifyInstance, 'get'>, registry: Registry): void {
  app.get('/metrics', async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
}

export interface MetricsListener {
  readonly url: string;
  close(): Promise<void>;
}

/** A listener of its own for `registry`: loopback or an internal address, never a public one. */
export async function serveMetrics(
  registry: Registry,
  at: { readonly host: string; readonly port: number },
): Promise<MetricsListener> {
  const app = Fastify();
  metricsRoute(app, registry);
  app.get('/healthz', () => ({ ok: true }));
  const url = await app.listen({ host: at.host, port: at.port });
  return { url, close: () => app.close() };
}
