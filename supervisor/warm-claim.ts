/**
 * A warm pod's supervisor before it has a tenant: it listens where the
 * tenant's supervisor will, answers the probes, and accepts exactly one
 * `POST /claim` carrying the pool's claim token (compared in constant time,
 * like the supervisor token). The claim is answered 202 as soon as it is
 * valid; then this server closes and main.ts runs the tenant's supervisor on
 * the same port, which reports readiness through `/readyz` as in a cold pod.
 *
 * `/readyz` is always 503 here (`{"state":"warm"}`): a warm pod takes no
 * traffic, and its Ready condition must still be False when the claim lands,
 * or the runtime's readiness wait after the claim would return on a stale
 * True. The pool tells claimable pods by the container's `started` status,
 * which the warm pod's startupProbe on `/healthz` sets (docs/kubernetes.md).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import Fastify from 'fastify';
import { ConfigError } from '../common/errors.js';
import { problem, sendProblem } from '../common/problem.js';
import type { Logger } from '../common/logger.js';
import { bearerMatches } from './http-api.js';
import type { SupervisorConfig } from './supervisor-config.js';
import { claimedConfig, WarmClaimError, type WarmConfig } from './warm-config.js';

export interface WarmAppOptions {
  readonly warm: WarmConfig;
  readonly claimToken: string;
  readonly logger: Logger;
  /** Called once, after the accepted claim's response has been sent. */
  readonly onClaimed: (config: SupervisorConfig) => void;
}

/** A spec plus seven secrets is a few KB; anything near this is not a claim. */
const BODY_LIMIT = 256 * 1024;

export function buildWarmApp(options: WarmAppOptions) {
  const { warm, logger } = options;
  const expected = createHash('sha256').update(options.claimToken, 'utf8').digest();
  let claimed = false;
  const app = Fastify({ loggerInstance: logger, bodyLimit: BODY_LIMIT });

  // Bodies are never logged: they carry the tenant's secrets. Messages name fields only.
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    if (error instanceof WarmClaimError)
      return sendProblem(reply, problem(error.status, error.code, error.message));
    const status = error.statusCode ?? 500;
    if (status < 500) return sendProblem(reply, problem(status, 'BAD_CLAIM', error.message));
    request.log.warn({ err: error }, 'claim failed');
    return sendProblem(reply, problem(500, 'INTERNAL', 'internal error'));
  });

  app.get('/healthz', () => ({ ok: true }));
  app.get('/readyz', (_request, reply) => reply.code(503).send({ state: claimed ? 'claimed' : 'warm' }));

  app.post('/claim', (request, reply) => {
    if (!bearerMatches(request.headers.authorization, expected))
      throw new WarmClaimError('UNAUTHORIZED', 401, 'the pool claim token is required');
    // Checked and set without an await in between: of two concurrent claims one gets 409.
    if (claimed) throw new WarmClaimError('ALREADY_CLAIMED', 409, 'this warm pod is already claimed');
    const config = claimedConfig(warm, request.body, request.socket.localAddress);
    claimed = true;
    logger.info({ tenantId: config.spec.tenantId }, 'warm pod claimed');
    reply.raw.once('finish', () => options.onClaimed(config));
    return reply
      .code(202)
      .header('connection', 'close')
      .send({ state: 'claimed', tenantId: config.spec.tenantId });
  });

  return app;
}

/** Serves until a claim is accepted, then frees the port and resolves with the tenant's config. */
export async function waitForClaim(warm: WarmConfig, logger: Logger): Promise<SupervisorConfig> {
  const claimToken = (await readFile(warm.claimTokenFile, 'utf8')).trim();
  if (!claimToken) throw new ConfigError([`claim token file ${warm.claimTokenFile} is empty`]);
  let onClaimed: (config: SupervisorConfig) => void = () => {};
  const claim = new Promise<SupervisorConfig>((resolve) => (onClaimed = resolve));
  const app = buildWarmApp({ warm, claimToken, logger, onClaimed: (config) => onClaimed(config) });
  // Unclaimed there is nothing to drain or snapshot: a deleted warm pod just stops.
  const stop = (signal: string) => {
    logger.info({ signal }, 'warm pod stopping');
    void app.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await app.listen({ host: warm.listen.host, port: warm.listen.port });
  const config = await claim;
  // From here the tenant's supervisor installs its own drain-and-snapshot handlers.
  process.off('SIGTERM', stop);
  process.off('SIGINT', stop);
  await app.close();
  return config;
}
