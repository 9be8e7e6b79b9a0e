/**
 * `POST /v1/tenants/:tenantId/chat/completions`: the OpenAI-compatible chat
 * API of one tenant. Hot path: proxy to the supervisor, streaming the answer
 * (SSE included) through unbuffered. Cold path (no endpoint, or the one we had
 * is gone): the `wake` update, bounded by `wakeTimeoutMs`, then the same proxy.
 * A request is retried on the woken pod only when it provably never reached
 * the agent (connection refused, supervisor said 503 before forwarding), so
 * a chat turn is never run twice by the router.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Dispatcher } from 'undici';
import { inRequestSpan } from '../common/request-spans.js';
import type { PodHandle } from '../workflows/shared.js';
import { DEPENDENCY_RETRY_AFTER_S, RouterError } from './errors.js';
import { ChatHeaders, ChatRequest, errorResponses, TenantParams } from './schemas.js';
import type { RouterLimits, RouterServices } from './services.js';
import { bearerApiKey, authenticateTenant } from './tenant-auth.js';
import { admitMessage, startOptions } from './telegram-route.js';
import { CHAT_PATH, requestWasNotSent } from './upstream.js';

const PASSED_HEADERS = ['content-type', 'cache-control'] as const;

export function registerChatRoute(
  app: FastifyInstance,
  services: RouterServices,
  limits: RouterLimits,
): void {
  app.post(
    '/v1/tenants/:tenantId/chat/completions',
    {
      schema: { params: TenantParams, headers: ChatHeaders, body: ChatRequest, response: errorResponses },
      config: { metricsRoute: 'chat', rateLimit: {} },
      onRequest: authenticateTenant(services, bearerApiKey),
    },
    // In the request's span (when traced): the wake update and the forward are its children.
    (request, reply) => inRequestSpan(request, () => answerChat(services, limits, request, reply)),
  );
}

async function answerChat(
  services: RouterServices,
  limits: RouterLimits,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const { tenantId } = request.params as { tenantId: string };
  // Checked now, counted once the agent has the turn (a refused or failed request is no message).
  await admitMessage(services, tenantId, request.tenant!, { countNow: false });
  const live = await (request.endpoint ?? services.endpoints.find(tenantId));
  if (live !== null) {
    const response = await openChat(services, tenantId, live, request, reply);
    if (response !== 'retry') {
      services.touches.touch(tenantId);
      return stream(reply, response, services, 'hot', tenantId);
    }
    await services.endpoints.drop(tenantId, live);
  }
  // Woken, but not reachable yet: the workflow had not seen its pod die (a supervisor killed a moment ago),
  // or the relaunched one was still starting. Wake again within the same bound rather than answering 503 and
  // costing the client its backoff on top of the relaunch; nothing reached the agent, so a retry is safe.
  const deadline = Date.now() + limits.wakeTimeoutMs;
  for (;;) {
    const pod = await wakeWithin(services, tenantId, request, deadline - Date.now());
    const response = await openChat(services, tenantId, pod, request, reply);
    if (response !== 'retry') return stream(reply, response, services, 'cold', tenantId);
    if (Date.now() + UNREACHABLE_PAUSE_MS >= deadline || reply.raw.destroyed)
      throw new RouterError('UPSTREAM_UNAVAILABLE', 'the agent is not reachable yet', 5);
    await new Promise((resolve) => setTimeout(resolve, UNREACHABLE_PAUSE_MS));
  }
}

/** Between wakes of a tenant whose woken pod did not take the request: a relaunch is seconds away. */
const UNREACHABLE_PAUSE_MS = 500;

/** The supervisor's response, or 'retry' when the request provably did not reach the agent. */
async function openChat(
  services: RouterServices,
  tenantId: string,
  pod: PodHandle,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<Dispatcher.ResponseData | 'retry'> {
  const { signer, upstream, metrics } = services;
  const sessionKey = request.headers['x-openclaw-session-key'] as string | undefined;
  // Signed per attempt: a retry goes to the woken pod, which must see a signature for itself.
  const authorization = signer.authorization({
    method: 'POST',
    path: CHAT_PATH,
    tenantId,
    podId: pod.podId,
    body: request.rawBody,
    sessionKey,
  });
  // Stop the upstream turn when our caller goes away before the answer is complete.
  const abort = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) abort.abort();
  });
  const stop = metrics.forwardSeconds.startTimer({ route: 'chat' });
  let response: Dispatcher.ResponseData;
  try {
    response = await upstream.openChat({
      endpoint: pod.endpoint,
      authorization,
      body: request.rawBody,
      sessionKey,
      idempotencyKey: request.headers['idempotency-key'] as string | undefined,
      signal: abort.signal,
    });
  } catch (error) {
    if (requestWasNotSent(error)) {
      metrics.fallback('upstream_unavailable');
      return 'retry';
    }
    throw new RouterError('UPSTREAM_FAILED', 'the agent did not answer', undefined, { cause: error });
  } finally {
    stop();
  }
  if (response.statusCode === 401 || response.statusCode === 503) {
    // 401: not the pod we signed for (a later generation at that address); 503: refused before forwarding.
    metrics.fallback(response.statusCode === 401 ? 'upstream_unauthorized' : 'upstream_unavailable');
    await response.body.dump();
    return 'retry';
  }
  return response;
}

async function wakeWithin(
  services: RouterServices,
  tenantId: string,
  request: FastifyRequest,
  timeoutMs: number,
): Promise<PodHandle> {
  const stop = services.metrics.coldSeconds.startTimer({ route: 'chat' });
  let timer: NodeJS.Timeout | undefined;
  const giveUp = new AbortController();
  const wake = services.tenants.wake(tenantId, startOptions(request.tenant!), giveUp.signal);
  // The update keeps running in Temporal after we stop waiting; the next request finds the tenant awake.
  wake.catch(() => undefined);
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new RouterError('WAKE_TIMEOUT', 'the agent is waking up; retry shortly', 10));
      giveUp.abort(); // no client retries left running against a connection that may close
    }, timeoutMs);
  });
  try {
    return await Promise.race([wake, timeout]);
  } catch (error) {
    if (error instanceof RouterError || (error as { code?: unknown }).code === 'TENANT_DELETED') throw error;
    if ((error as { code?: unknown }).code === 'TENANT_OPERATION_REJECTED') throw error;
    throw new RouterError('COLD_PATH_UNAVAILABLE', 'could not wake the agent', DEPENDENCY_RETRY_AFTER_S, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
    stop();
  }
}

function stream(
  reply: FastifyReply,
  response: Dispatcher.ResponseData,
  services: RouterServices,
  path: 'hot' | 'cold',
  tenantId: string,
): FastifyReply {
  services.metrics.deliveries.inc({ route: 'chat', path });
  void services.messages.count(tenantId);
  void reply.code(response.statusCode);
  for (const name of PASSED_HEADERS) {
    const value = response.headers[name];
    if (typeof value === 'string') void reply.header(name, value);
  }
  return reply.send(response.body);
}
