/**
 * A warm supervisor before it has a tenant, the one claim protocol of both
 * runtimes (warm-config.ts): a warm pod listens where the tenant's
 * supervisor will, a host's warm process on a unix socket in the runtime's
 * private data dir. It answers the probes and accepts exactly one
 * `POST /claim` carrying the pool's claim token (compared in constant time,
 * like the supervisor token). The claim is answered 202 as soon as it is
 * valid; then this server closes and main.ts runs the tenant's supervisor
 * (on the same port in a pod), which reports readiness through `/readyz` as
 * a cold one does.
 *
 * `/readyz` is always 503 here (`{"state":"warm"}`): a warm pod takes no
 * traffic, and its Ready condition must still be False when the claim lands,
 * or the runtime's readiness wait after the claim would return on a stale
 * True. The pool tells claimable pods by the container's `started` status,
 * which the warm pod's startupProbe on `/healthz` sets (docs/kubernetes.md).
 */
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import Fastify from 'fastify';
import { ConfigError } from '../common/errors.js';
import { problem, sendProblem } from '../common/problem.js';
import type { Logger } from '../common/logger.js';
import { bearerMatches } from './http-api.js';
import type { SupervisorConfig } from './supervisor-config.js';
import { claimedConfig, WarmClaimError, type Claim, type WarmConfig } from './warm-config.js';
import { redirectOutput } from './output-redirect.js';
import { PARENT_WATCHDOG_FLAG } from '../common/parent-watchdog.js';
import { heartbeatArgs, watchHeartbeat } from '../common/runtime-heartbeat.js';

export interface WarmAppOptions {
  readonly warm: WarmConfig;
  readonly claimToken: string;
  readonly logger: Logger;
  /** Called once, after the accepted claim's response has been sent. */
  readonly onClaimed: (claim: Claim) => void;
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
    const claim = claimedConfig(warm, request.body, request.socket.localAddress);
    claimed = true;
    logger.info({ tenantId: claim.config.spec.tenantId }, 'warm pod claimed');
    reply.raw.once('finish', () => options.onClaimed(claim));
    return reply
      .code(202)
      .header('connection', 'close')
      .send({ state: 'claimed', tenantId: claim.config.spec.tenantId });
  });

  return app;
}

/**
 * Serves until a claim is accepted, then frees the port (or socket) and
 * resolves with the tenant's config. A host's process writes to the tenant's
 * log from then on. Unclaimed there is nothing to drain or snapshot: a
 * deleted warm pod, or a host process whose runtime closed its stdin, just
 * exits.
 */
export async function waitForClaim(warm: WarmConfig, logger: Logger): Promise<SupervisorConfig> {
  const claimToken = (await readFile(warm.claimTokenFile, 'utf8')).trim();
  if (!claimToken) throw new ConfigError([`claim token file ${warm.claimTokenFile} is empty`]);
  let onClaimed: (claim: Claim) => void = () => {};
  const claimed = new Promise<Claim>((resolve) => (onClaimed = resolve));
  const app = buildWarmApp({ warm, claimToken, logger, onClaimed: (claim) => onClaimed(claim) });
  const stop = (why: string) => {
    logger.info({ why }, 'warm supervisor stopping');
    void app.close().finally(() => process.exit(0));
  };
  const onSignal = (signal: NodeJS.Signals) => stop(signal);
  const onParentGone = () => stop('runtime gone');
  process.once('SIGTERM', onSignal).once('SIGINT', onSignal);
  const watched = process.argv.includes(PARENT_WATCHDOG_FLAG);
  if (watched) process.stdin.on('end', onParentGone).on('error', onParentGone).resume();
  // Nor does an unclaimed one outlive its stack: the stack's end makes the runtime's heartbeat stale.
  const heartbeat = heartbeatArgs(process.argv);
  const unwatch = heartbeat ? watchHeartbeat(heartbeat.file, heartbeat.windowMs, onParentGone) : () => {};
  if (warm.socket) {
    await rm(warm.socket, { force: true });
    await app.listen({ path: warm.socket });
  } else await app.listen({ host: warm.listen!.host, port: warm.listen!.port });
  const claim = await claimed;
  // From here the tenant's supervisor installs its own drain-and-snapshot handlers and parent watchdog.
  process.off('SIGTERM', onSignal).off('SIGINT', onSignal);
  if (watched) process.stdin.off('end', onParentGone).off('error', onParentGone);
  unwatch(); // the tenant's supervisor watches the heartbeat itself (run-supervisor.ts)
  await app.close();
  if (claim.logFile) redirectOutput(claim.logFile);
  logger.info(
    { tenantId: claim.config.spec.tenantId, claimSentAtMs: claim.sentAtMs },
    'warm supervisor claimed',
  );
  return claim.config;
}
