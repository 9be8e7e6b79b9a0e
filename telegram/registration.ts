/**
 * What a tenant's Telegram webhook registration is made of, shared by the
 * control plane (which registers it before the first wake) and the launch
 * plan (which hands the same URL to the tenant's OpenClaw).
 *
 * The update kinds a tenant's bot is registered for. OpenClaw 2026.9.6
 * registers grammY's default list without `stopped_message_generation`, plus
 * `message_reaction` and `channel_post` (its `resolveTelegramAllowedUpdates`),
 * at every start. The control plane registers the same list, so the
 * registration it makes before the first wake is the one the tenant's own
 * OpenClaw makes at that wake (test/local/tenant-e2e.test.ts compares them).
 */
export const TELEGRAM_ALLOWED_UPDATES: readonly string[] = [
  'message',
  'edited_message',
  'channel_post',
  'edited_channel_post',
  'business_connection',
  'business_message',
  'edited_business_message',
  'deleted_business_messages',
  'guest_message',
  'inline_query',
  'chosen_inline_result',
  'callback_query',
  'shipping_query',
  'pre_checkout_query',
  'purchased_paid_media',
  'poll',
  'poll_answer',
  'my_chat_member',
  'managed_bot',
  'chat_join_request',
  'chat_boost',
  'removed_chat_boost',
  'subscription',
  'message_reaction',
];

/** Same kinds, any order: Telegram may list them in its own order in `getWebhookInfo`. */
export function sameAllowedUpdates(a: readonly string[] | undefined, b: readonly string[]): boolean {
  if (!a) return false;
  const left = [...new Set(a)].sort();
  const right = [...new Set(b)].sort();
  return left.length === right.length && left.every((kind, i) => kind === right[i]);
}

/** The router's public route for the tenant: `<publicUrl>/tg/<tenantId>`. */
export function tenantWebhookUrl(publicUrl: string, tenantId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/tg/${tenantId}`;
}

/**
 * A replaced bot token waits under this secret name until its webhook is
 * deleted (one per bot, so two quick replacements never overwrite each other).
 */
export const REPLACED_BOT_TOKEN_PREFIX = 'telegram-bot-token-replaced-';

export function replacedBotTokenName(token: string): string {
  return `${REPLACED_BOT_TOKEN_PREFIX}${botIdOf(token)}`;
}

/** The bot id is the public part of a token (`<bot id>:<secret>`). */
export function botIdOf(token: string): number {
  return Number(token.split(':')[0]);
}
