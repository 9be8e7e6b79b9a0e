/** How the CLI shows a tenant's Telegram bot and webhook (never the webhook secret: the API does not have it). */
import type { TelegramConnectionData, WebhookStateData } from '../../client/admin-client.js';

/** How the CLI says what the control plane's webhook registration did. */
export function webhookLine(webhook: WebhookStateData): string {
  switch (webhook.state) {
    case 'registered':
      return `webhook registered with Telegram: ${webhook.url}`;
    case 'pending':
      return 'webhook registration still running (see `clawfleet tenant get`)';
    case 'failed':
      return `webhook registration failed: ${webhook.error}`;
    default:
      return 'no bot token: no webhook';
  }
}

/** The bot and what Telegram reports about its webhook (never the secret). */
export function telegramFields(t: TelegramConnectionData | null): [string, unknown][] {
  if (!t) return [['telegram', 'no bot token']];
  return [
    ['telegram bot', t.botUsername ? `@${t.botUsername}` : `bot ${t.botId}`],
    ['webhook url', t.webhookUrl],
    [
      'webhook',
      t.error
        ? `unknown: ${t.error}`
        : t.matches
          ? 'registered (matches)'
          : `does not match: Telegram has ${t.registeredUrl ?? 'no webhook'}`,
    ],
    ['pending updates', t.pendingUpdateCount],
    ['last error', t.lastErrorMessage ? `${t.lastErrorMessage} (${t.lastErrorAt})` : undefined],
  ];
}
