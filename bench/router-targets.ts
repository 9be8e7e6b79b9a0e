/**
 * The servers `bench/router.ts` measures, each started in its own process so
 * the load generator, the upstream and the system under test do not share
 * one event loop: `upstream` (a stand-in supervisor that acks at once) and
 * `front` (a minimal undici pass-through proxy plus the real router, wired
 * with real Redis and dynalite, one tenant whose endpoint is the upstream).
 * Each prints one JSON line with its addresses when ready.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { Agent } from 'undici';
import { loadConfig } from '../common/config.js';
import { createRootLogger } from '../common/logger.js';
import { encodeEndpointEntry } from '../endpoints/redis-endpoint-cache.js';
import { buildApp } from '../router/app.js';
import { RouterMetrics } from '../router/metrics.js';
import { hotPathRedis, wireRouterServices } from '../router/wiring.js';
import { RouterHarnessTenants } from './router-tenant.js';

const ACK = JSON.stringify({ accepted: 'durable' });

async function drain(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function listen(server: ReturnType<typeof createServer>): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function upstream(): Promise<void> {
  const server = createServer((request, response) => {
    void drain(request).then(() => response.writeHead(200, { 'content-type': 'application/json' }).end(ACK));
  });
  console.log(JSON.stringify({ upstream: await listen(server) }));
}

async function front(upstreamUrl: string, redisUrl: string): Promise<void> {
  // (b) the floor any proxy pays: read the body, forward it over a keep-alive pool, copy the answer back.
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 64 });
  const proxy = createServer((request, response) => {
    void drain(request)
      .then((body) =>
        agent.request({
          origin: upstreamUrl,
          path: '/deliver/telegram',
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: request.headers.authorization ?? '' },
          body,
        }),
      )
      .then(async (answer) => {
        const text = await answer.body.text();
        response.writeHead(answer.statusCode, { 'content-type': 'application/json' }).end(text);
      })
      .catch(() => response.writeHead(502).end());
  });

  // (c) the real router: auth against cached hashes, Redis rate limit, endpoint lookup, forward.
  const tenants = await RouterHarnessTenants.start();
  const tenant = await tenants.create();
  const redis = hotPathRedis(redisUrl);
  await redis.connect();
  const entry = encodeEndpointEntry({ endpoint: upstreamUrl, podId: `${tenant.tenantId}-1` });
  await redis.set(`clawfleet:endpoint:${tenant.tenantId}`, entry, 'PX', 3_600_000);
  const logger = createRootLogger({ level: 'silent', name: 'bench-router' });
  // No Temporal on the hot path: the only call would be a debounced touch, which fails quietly here.
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const { services, limits } = wireRouterServices({
    redis,
    temporal,
    ...(await tenants.parts()),
    logger,
    metrics: new RouterMetrics(),
    settings: {
      temporal: { taskQueue: 'bench' },
      router: {
        ...loadConfig({}).router,
        rateLimit: 1_000_000_000, // evaluated on every request, never reached
      },
    },
  });
  const router = await buildApp({ logger, readiness: {}, redis, services, limits });
  await router.listen({ host: '127.0.0.1', port: 0 });
  const routerUrl = `http://127.0.0.1:${(router.server.address() as AddressInfo).port}`;
  console.log(
    JSON.stringify({
      proxy: await listen(proxy),
      router: routerUrl,
      tenantId: tenant.tenantId,
      secret: tenant.webhookSecret,
      supervisorToken: tenant.supervisorToken,
    }),
  );
}

const [role, ...args] = process.argv.slice(2);
// Exit normally on SIGTERM so `--cpu-prof` (BENCH_CPU_PROF) gets to write its profile.
process.once('SIGTERM', () => process.exit(0));
(role === 'upstream' ? upstream() : front(args[0]!, args[1]!)).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
