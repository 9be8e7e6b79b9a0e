/**
 * `POST /v1/chat/completions`: authenticate the model token, resolve the
 * model against the tier's allowlist, take a quota slot, and call the
 * upstream with the control plane's key. Streams go through chunk by chunk
 * (usage-scanner.ts reads them on the way); the upstream is asked for usage
 * (`stream_options.include_usage`), and the request is metered once, as soon
 * as that usage has passed (or, without one, estimated when the stream ends).
 */
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Dispatcher } from 'undici';
import type { ResolvedModel } from './catalog.js';
import { GatewayError } from './errors.js';
import type { GatewayServices } from './services.js';
import { estimateTokens, jsonUsage, SseUsageScanner, type MeteredUsage } from './usage-scanner.js';
import type { Quotas } from '../common/quotas.js';
import type { MeteredRequest } from './usage-meter.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

interface ChatBody {
  model?: unknown;
  messages?: unknown;
  tools?: unknown;
  stream?: unknown;
  stream_options?: Record<string, unknown>;
  max_tokens?: unknown;
  max_completion_tokens?: unknown;
}

/** Output reserved for a request that names no maximum (OpenClaw always names one: its `maxTokens`). */
const DEFAULT_MAX_OUTPUT_TOKENS = 8_192;

export function registerCompletionsRoute(app: FastifyInstance, services: GatewayServices): void {
  app.post('/v1/chat/completions', async (request, reply) => {
    const tenant = await services.access.authenticate(request.headers.authorization);
    const body = request.body as ChatBody | null;
    if (!body || typeof body.model !== 'string' || !Array.isArray(body.messages))
      throw new GatewayError('BAD_REQUEST', 'model (string) and messages (array) are required');
    const model = services.catalog.resolve(tenant.tier, body.model);
    if (!model)
      throw new GatewayError(
        'MODEL_NOT_ALLOWED',
        `model ${body.model} is not available to this tenant`,
        undefined,
        {
          apiCode: 'model_not_found',
        },
      );
    const key = await services.access.providerKey(tenant.tenantId, model.upstream.name);
    const startedAtMs = Date.now();
    const slot = randomUUID();
    const asked = askedOutput(body);
    // Serialized once: the reservation's estimate and, without provider usage, the metered one.
    const inputChars = JSON.stringify(body.messages).length;
    const grant = await services.guard.admit(tenant.tenantId, tenant.quotas, slot, startedAtMs, {
      // Tool schemas are sent as input too; a day's cap must count them.
      input: estimateTokens(inputChars + (body.tools ? JSON.stringify(body.tools).length : 0)),
      output: asked ?? DEFAULT_MAX_OUTPUT_TOKENS,
    });
    const capped = capOutput(body, asked, grant, tenant.quotas);
    const release = once(() => void services.guard.release(tenant.tenantId, slot));
    try {
      const clientId = request.headers['x-request-id'];
      const metered = {
        tenantId: tenant.tenantId,
        tier: tenant.tier,
        model: model.qualified,
        startedAtMs,
        keySource: key.source,
        requestId: typeof clientId === 'string' && REQUEST_ID.test(clientId) ? clientId : null,
      };
      const response = await callUpstream(services, model, key.key, capped, reply);
      services.metrics.requests.inc({ tier: tenant.tier, outcome: String(response.statusCode) });
      return await answer(services, metered, inputChars, response, reply, release);
    } catch (error) {
      release();
      throw error;
    }
  });
}

function askedOutput(body: ChatBody): number | null {
  const asked = body.max_completion_tokens ?? body.max_tokens;
  return typeof asked === 'number' && Number.isFinite(asked) && asked > 0 ? asked : null;
}

/**
 * The request as sent upstream: its output limited to what the day and month
 * caps leave, in the field the client used. A request naming no maximum gets
 * one only when a cap is finite, so unlimited tenants see no change.
 */
function capOutput(body: ChatBody, asked: number | null, grant: number, quotas: Quotas): ChatBody {
  const capsFinite = Number.isFinite(quotas.tokensPerDay) || Number.isFinite(quotas.tokensPerMonth);
  if (asked !== null ? grant >= asked : !capsFinite) return body;
  const field = body.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
  return { ...body, [field]: grant };
}

async function callUpstream(
  services: GatewayServices,
  model: ResolvedModel,
  key: string,
  body: ChatBody,
  reply: FastifyReply,
): Promise<Dispatcher.ResponseData> {
  const stream = body.stream === true;
  const upstreamBody = JSON.stringify({
    ...body,
    model: model.model,
    ...(stream ? { stream_options: { ...body.stream_options, include_usage: true } } : {}),
  });
  // The agent went away: stop the upstream turn too (the tokens it produced are still metered).
  const abort = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) abort.abort();
  });
  const stop = services.metrics.upstreamSeconds.startTimer({ upstream: model.upstream.name });
  try {
    return await services.upstream.request({
      origin: model.upstream.origin,
      path: `${model.upstream.path}/chat/completions`,
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        accept: stream ? 'text/event-stream' : 'application/json',
      },
      body: upstreamBody,
      signal: abort.signal,
    });
  } catch (error) {
    throw new GatewayError('UPSTREAM_FAILED', 'the model provider did not answer', 5, { cause: error });
  } finally {
    stop();
  }
}

async function answer(
  services: GatewayServices,
  base: Omit<MeteredRequest, 'requestId'> & { requestId: string | null },
  inputChars: number,
  response: Dispatcher.ResponseData,
  reply: FastifyReply,
  release: () => void,
): Promise<FastifyReply> {
  const contentType = String(response.headers['content-type'] ?? 'application/json');
  void reply.code(response.statusCode).header('content-type', contentType);
  // Providers do not bill refused requests: pass the refusal through unmetered.
  if (response.statusCode >= 400 || !contentType.includes('text/event-stream')) {
    try {
      const text = await response.body.text();
      if (response.statusCode < 400) {
        const { usage, completionId } = jsonUsage(text, inputChars);
        services.meter.record({ ...base, requestId: base.requestId ?? completionId ?? randomUUID() }, usage);
      }
      return reply.send(text);
    } finally {
      release();
    }
  }
  const scanner = new SseUsageScanner();
  const meter = once((usage: MeteredUsage) =>
    services.meter.record(
      { ...base, requestId: base.requestId ?? scanner.completionId ?? randomUUID() },
      usage,
    ),
  );
  scanner.onUsage = meter;
  void reply.header('cache-control', 'no-cache');
  pipeline(response.body, scanner, (error) => {
    // Counted before its reservation is freed, so a concurrent admission never sees neither.
    meter(scanner.result(inputChars)); // no-op when the provider's usage was recorded already
    release();
    if (error) services.logger.debug({ err: error }, 'model stream ended early');
  });
  return reply.send(scanner);
}

function once<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  let done = false;
  return (...args) => {
    if (done) return;
    done = true;
    fn(...args);
  };
}
