/**
 * `telegramWebhookWorkflow` (id `telegram-webhook-<tenantId>`): registers the
 * tenant's Telegram webhook from the control plane, so a tenant whose bot was
 * just connected (or whose secret was just rotated) receives its first
 * message without being woken first. It runs beside the tenant workflow and
 * leaves it alone: the tenant stays asleep. Started with signal-with-start
 * `telegramChanged`; a change that arrives during a round runs one more
 * round, so the last registration is always of the newest token and secret.
 * Only the tenant id crosses Temporal: tokens and secrets are resolved inside
 * the activity.
 */
import { allHandlersFinished, condition, setHandler } from '@temporalio/workflow';
import { channel, step } from './activity-proxies.js';
import { telegramChangedSignal } from './shared.js';
import type { WebhookRegistered } from './types.js';

export interface TelegramWebhookInput {
  readonly tenantId: string;
}

export async function telegramWebhookWorkflow(input: TelegramWebhookInput): Promise<WebhookRegistered | null> {
  let changed = true; // the starting signal
  setHandler(telegramChangedSignal, () => void (changed = true));
  let registered: WebhookRegistered | null = null;
  while (changed) {
    changed = false;
    registered = await step(channel.syncTelegramWebhook, 'register the Telegram webhook', {
      tenantId: input.tenantId,
    });
  }
  await condition(allHandlersFinished);
  return registered;
}
