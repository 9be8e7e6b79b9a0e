/**
 * `GET /v1/models`: the models the calling tenant's tier may use, named
 * `upstream/model`. Explicit allowlist entries are listed as they are; for
 * a wildcard (`*`, `upstream/*`) the upstream's own list is asked for, with
 * the key this tenant would pay with.
 */
import type { FastifyInstance } from 'fastify';
import type { Upstream } from './catalog.js';
import type { GatewayServices } from './services.js';

export function registerModelsRoute(app: FastifyInstance, services: GatewayServices): void {
  app.get('/v1/models', async (request) => {
    const tenant = await services.access.authenticate(request.headers.authorization);
    const patterns = services.catalog.allowed(tenant.tier);
    const ids = new Set<string>();
    for (const upstream of services.catalog.upstreams) {
      if (patterns.includes('*') || patterns.includes(`${upstream.name}/*`)) {
        const key = await services.access.providerKey(tenant.tenantId, upstream.name).catch(() => null);
        for (const id of key ? await upstreamModels(services, upstream, key.key) : [])
          ids.add(`${upstream.name}/${id}`);
      }
    }
    for (const p of patterns) if (!p.endsWith('*')) ids.add(p);
    return {
      object: 'list',
      data: [...ids].sort().map((id) => ({ id, object: 'model', created: 0, owned_by: id.split('/')[0] })),
    };
  });
}

async function upstreamModels(services: GatewayServices, upstream: Upstream, key: string): Promise<string[]> {
  try {
    const response = await services.upstream.request({
      origin: upstream.origin,
      path: `${upstream.path}/models`,
      method: 'GET',
      headers: { authorization: `Bearer ${key}` },
      signal: AbortSignal.timeout(5_000),
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      return [];
    }
    const listed = (await response.body.json()) as { data?: { id?: unknown }[] };
    return (listed.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
  } catch (error) {
    services.logger.warn({ err: error, upstream: upstream.name }, 'upstream model list unavailable');
    return [];
  }
}
