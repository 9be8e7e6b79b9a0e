/**
 * `POST /tg/:tenantId`: Telegram webhook updates. 200 means durable: either
 * OpenClaw stored the update (hot path) or Temporal accepted the `deliver`
 * signal (cold path). Anything else is a non-2xx, and Telegram retries.
 *
 * Telegram gives up on an update after repeated failures, so while the
 * tenant can receive, nothing retryable is answered with a 4xx: Temporal or
 * the registry unreachable and the tenant's rate limit are 503 with
 * Retry-After. The 4xx left are final: no such tenant (404), a secret that is
 * neither the current one nor, during a rotation, the one Telegram still
 * holds (401), a suspended or offboarding tenant (403: the webhook stays, and
 * Telegram keeps the updates until the tenant is resumed or it gives up), and
 * a body that is not an update (400, 413).
 */
import type { FastifyInstance } from 'fastify';
import { inRequestSpan } from '../common/request-spans.js';
import type { Envelope, PodHandle } from '../workflows/shared.js';
import { DEPENDENCY_RETRY_AFTER_S, RouterError } from './errors.js';
import { Delivered, errorResponses, TelegramHeaders, TelegramUpdate, TenantParams } from './schemas.js';
import type { RouterServices } from './services.js';
import { authenticateTenant, webhookSecret } from './tenant-auth.js';
import type { TenantView } from './tenant-directory.js';
import { TELEGRAM_PATH } from './upstream.js';

const DELIVERED = { ok: true, delivery: 'durable' } as const;
export const TELEGRAM_ROUTE = '/tg/:tenantId';
/** Temporal accepts a signal-with-start in milliseconds; past this it is unreachable or overloaded. */
const COLD_ACCEPT_TIMEOUT_MS = 5_000;

export function registerTelegramRoute(app: FastifyInstance, services: RouterServices): void {
  const { endpoints, metrics } = services;
  const hotDeliveries = metrics.deliveries.labels({ route: 'telegram', path: 'hot' });
  app.post(
    TELEGRAM_ROUTE,
    {
      schema: {
        params: TenantParams,
        headers: TelegramHeaders,
        body: TelegramUpdate,
        response: { 200: Delivered, ...errorResponses },
      },
      config: { metricsRoute: 'telegram', rateLimit: {} },
      onRequest: authenticateTenant(services, webhookSecret),
    },
    async (request, reply) => {
      const { tenantId } = request.params as { tenantId: string };
      const body = request.rawBody;
      const { update_id: updateId } = request.body as { update_id: number };
      // Counted once per update (Telegram re-sends one it got no answer for); refused at the day's limit.
      await admitMessage(services, tenantId, request.tenant!, { dedupeId: `tg-${updateId}` });
      const pod = await (request.endpoint ?? endpoints.find(tenantId));
      if (pod !== null && (await inRequestSpan(request, () => deliverHot(services, tenantId, pod, body)))) {
        hotDeliveries.inc();
        services.touches.touch(tenantId);
        return reply.send(DELIVERED);
      }
      const envelope: Envelope = {
        channel: 'telegram',
        dedupeId: String(updateId),
        receivedAt: new Date().toISOString(),
        body,
      };
      await inRequestSpan(request, () => deliverCold(services, tenantId, request.tenant!, envelope));
      metrics.deliveries.inc({ route: 'telegram', path: 'cold' });
      return reply.send(DELIVERED);
    },
  );
}

/** Counts the message, or refuses it with 429 once the tenant's `messagesPerDay` are used. */
export async function admitMessage(
  services: RouterServices,
  tenantId: string,
  tenant: TenantView,
  options: { dedupeId?: string; countNow?: boolean },
): Promise<void> {
  const limit = tenant.messagesPerDay ?? null;
  if (await services.messages.admit(tenantId, limit, options)) return;
  services.quotaHit(tenantId, { kind: 'messagesPerDay', at: new Date().toISOString(), limit: limit ?? 0 });
  throw new RouterError(
    'QUOTA_EXCEEDED',
    `quota exceeded: messages per day (${limit}); daily limit reached, resets at 00:00 UTC`,
    secondsToMidnightUtc(),
  );
}

function secondsToMidnightUtc(): number {
  const now = new Date();
  return Math.ceil(
    (Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime()) / 1000,
  );
}

/** True once OpenClaw acknowledged durably; false sends the update down the cold path. */
async function deliverHot(
  services: RouterServices,
  tenantId: string,
  pod: PodHandle,
  body: string,
): Promise<boolean> {
  const { signer, upstream, metrics, endpoints } = services;
  const authorization = signer.authorization({
    method: 'POST',
    path: TELEGRAM_PATH,
    tenantId,
    podId: pod.podId,
    body,
  });
  const stop = metrics.forwardSeconds.startTimer({ route: 'telegram' });
  const outcome = await upstream.deliverTelegram(pod.endpoint, authorization, body);
  stop();
  if (outcome === 'accepted') return true;
  // 401: whatever answers there is not the pod we signed for (a later generation, another tenant's pod).
  metrics.fallback(outcome === 'unauthorized' ? 'upstream_unauthorized' : 'upstream_unavailable');
  await endpoints.drop(tenantId, pod);
  return false;
}

async function deliverCold(
  services: RouterServices,
  tenantId: string,
  tenant: TenantView,
  envelope: Envelope,
): Promise<void> {
  const stop = services.metrics.coldSeconds.startTimer({ route: 'telegram' });
  try {
    // Bounded: with Temporal unreachable the SDK would retry for ~20 s; Telegram retries a 503 itself.
    const deadline = AbortSignal.timeout(COLD_ACCEPT_TIMEOUT_MS);
    await services.tenants.deliver(tenantId, envelope, startOptions(tenant), deadline);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'TENANT_DELETED') throw error;
    // Not accepted, so not durable: a 503 makes Telegram retry the same update later.
    throw new RouterError(
      'COLD_PATH_UNAVAILABLE',
      'could not hand the update to Temporal',
      DEPENDENCY_RETRY_AFTER_S,
      {
        cause: error,
      },
    );
  } finally {
    stop();
  }
}

/** The registry's settings for a tenant the router is first to start (ignored when its workflow runs). */
export function startOptions(tenant: TenantView) {
  return { tier: tenant.tier, openclawVersion: tenant.openclawVersion, idleTimeout: tenant.idleTimeoutMs };
}
