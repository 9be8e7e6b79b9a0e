/**
 * The supervisor's side of OpenClaw's Telegram webhook listener: where it
 * listens, whether it listens yet, and handing it one update until OpenClaw
 * acknowledges it durably. The supervisor (supervisor.ts) decides when.
 */
import { BadRequestError, DeliveryNotAcceptedError } from './errors.js';
import type { SupervisorConfig } from './supervisor-config.js';

/**
 * OpenClaw's webhook listener answers (401 without the secret) a few
 * milliseconds before its ingress queue exists; until then an update gets a
 * 500 and nothing is stored. Retry that here rather than a second later
 * through the activity's backoff (a repeated update_id is deduplicated anyway).
 */
const INGRESS_RETRY_MS = 3_000;
const INGRESS_RETRY_EVERY_MS = 25;

/** The listener's local URL, or undefined for a tenant without Telegram. */
export function telegramListenerUrl(spec: SupervisorConfig['spec']): string | undefined {
  const { gateway, telegram } = spec;
  if (!telegram) return undefined;
  return `http://${gateway.host}:${telegram.webhookPort}${telegram.webhookPath ?? '/telegram-webhook'}`;
}

/** Refuses a body that is not a Telegram update before anything waits on the gateway. */
export function checkTelegramUpdate(body: string): void {
  let update: unknown;
  try {
    update = JSON.parse(body);
  } catch {
    throw new BadRequestError('body is not JSON');
  }
  if (!Number.isSafeInteger((update as { update_id?: unknown } | null)?.update_id))
    throw new BadRequestError('body is not a Telegram update (no integer update_id)');
}

/**
 * OpenClaw's Telegram listener starts after `/readyz` turns 200; a request
 * without the secret gets 401 once it listens (and is never processed).
 */
export async function telegramListening(url: string | undefined): Promise<boolean> {
  if (!url) return true;
  return fetch(url, { method: 'POST', body: '{}', signal: AbortSignal.timeout(2000) }).then(
    (r) => r.status === 401,
    () => false,
  );
}

/** Posts the update; resolves only on OpenClaw's durable ack (it stored the update in SQLite first). */
export async function postTelegramUpdate(
  url: string,
  webhookSecret: string,
  body: string,
  stopRetrying: () => boolean,
): Promise<void> {
  const retryUntil = Date.now() + INGRESS_RETRY_MS;
  for (;;) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': webhookSecret },
      body,
      signal: AbortSignal.timeout(30_000),
    }).catch((err: unknown) => {
      throw new DeliveryNotAcceptedError(0, { cause: err });
    });
    await response.arrayBuffer().catch(() => undefined);
    if (response.status === 500 && Date.now() < retryUntil && !stopRetrying()) {
      await new Promise((r) => setTimeout(r, INGRESS_RETRY_EVERY_MS));
      continue;
    }
    if (response.status !== 200 || response.headers.get('x-openclaw-delivery-accepted') !== 'durable')
      throw new DeliveryNotAcceptedError(response.status);
    return;
  }
}
