/**
 * `telegramWebhookWorkflow` (id `telegram-webhook-<tenantId>`): registers the
 * tenant's Telegram webhook from the control plane, so a tenant whose bot was
 * just connected (or whose webhook secret was just rotated) receives its
 * first message without being woken first. It runs beside the tenant
 * workflow and leaves it alone: the tenant stays asleep.
 *
 * Each `registerWebhook` update (sent with update-with-start) asks for a
 * round: delete the webhooks of replaced bots, then register the current bot
 * with the current secret. Requests that arrive during a round get the next
 * one, so the last registration is always of the newest token and secret.
 * After the last round the secret Telegram held before stays accepted for
 * `previousSecretGraceMs` (updates Telegram sent just before it switched are
 * still on their way), then only the registered one is. Only the tenant id
 * and a credential hash cross Temporal: tokens and secrets are resolved
 * inside the activities.
 */
import { allHandlersFinished, condition, setHandler } from '@temporalio/workflow';
import { channel, step, store } from './activity-proxies.js';
import { describeFailure } from './failures.js';
import { registerWebhookUpdate } from './shared.js';
import type { WebhookSync } from './types.js';

export interface TelegramWebhookInput {
  readonly tenantId: string;
  /** @default 60_000 */
  readonly previousSecretGraceMs?: number;
}

export async function telegramWebhookWorkflow(input: TelegramWebhookInput): Promise<WebhookSync> {
  const { tenantId } = input;
  let requested = 0;
  let finished = 0;
  let last: WebhookSync = { registered: null };
  setHandler(registerWebhookUpdate, async () => {
    const mine = ++requested;
    await condition(() => finished >= mine);
    return last;
  });

  // The update that started this run is admitted before the first await returns.
  await condition(() => requested > finished);
  while (requested > finished) {
    const round = requested;
    try {
      last = await step(channel.syncTelegramWebhook, 'register the Telegram webhook', { tenantId });
    } catch (error) {
      last = { failed: describeFailure(error) };
    }
    finished = round;
    if (requested > finished || !('registered' in last) || last.registered === null) continue;
    const { secretHash } = last.registered;
    // A new request during the grace starts another round (its confirmation comes after that one).
    if (await condition(() => requested > finished, input.previousSecretGraceMs ?? 60_000)) continue;
    await step(store.confirmWebhookSecret, 'stop accepting the previous webhook secret', {
      tenantId,
      secretHash,
    });
  }
  await condition(allHandlersFinished);
  return last;
}
