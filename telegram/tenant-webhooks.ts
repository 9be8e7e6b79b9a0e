/**
 * The Telegram webhook port (activities/ports.ts) over the Bot API and the
 * secret store: bot tokens and the webhook secret are resolved here, inside
 * the activity, and never returned. Registration uses the same URL, secret
 * and `allowed_updates` the tenant's OpenClaw registers at each start, so the
 * two never disagree.
 */
import { PermanentPortError } from '../activities/errors.js';
import type { CallOptions, TelegramWebhookPort, WebhookRegistered } from '../activities/ports.js';
import type { TenantCredentials } from '../registry/credentials.js';
import type { DynamoRegistry } from '../registry/dynamo-registry.js';
import { type DynamoSecretStore, SECRET_NAMES } from '../registry/secret-store.js';
import { TelegramApiError, type TelegramBotApi } from './bot-api.js';
import {
  botIdOf,
  REPLACED_BOT_TOKEN_PREFIX,
  TELEGRAM_ALLOWED_UPDATES,
  tenantWebhookUrl,
} from './registration.js';

export interface TenantWebhooksOptions {
  readonly api: TelegramBotApi;
  readonly secrets: Pick<DynamoSecretStore, 'resolveIfPresent' | 'list' | 'delete'>;
  readonly credentials: Pick<TenantCredentials, 'webhookRegistered' | 'webhookSecretHash'>;
  /** The tenant's channel settings: Telegram switched off means no webhook. */
  readonly registry: Pick<DynamoRegistry, 'get'>;
  /** The router's public base URL (`CLAWFLEET_PUBLIC_URL`). */
  readonly publicUrl: string;
}

export class TenantWebhooks implements TelegramWebhookPort {
  constructor(private readonly options: TenantWebhooksOptions) {}

  async register(tenantId: string, options: CallOptions = {}): Promise<WebhookRegistered | null> {
    const { api, secrets, credentials, publicUrl } = this.options;
    const token = await secrets.resolveIfPresent(tenantId, SECRET_NAMES.telegramBotToken);
    if (!token) return null;
    // As the launch plan decides: Telegram is on unless the record switches it off.
    if ((await this.options.registry.get(tenantId))?.channels.telegram?.enabled === false) return null;
    const secret = await secrets.resolveIfPresent(tenantId, SECRET_NAMES.telegramWebhookSecret);
    if (!secret)
      throw new PermanentPortError('WEBHOOK_SECRET_MISSING', `tenant ${tenantId} has no webhook secret`);
    const url = tenantWebhookUrl(publicUrl, tenantId);
    try {
      await api.setWebhook(
        token,
        { url, secretToken: secret, allowedUpdates: TELEGRAM_ALLOWED_UPDATES },
        options.signal,
      );
    } catch (error) {
      throw permanentIfRefused(error, `setWebhook for tenant ${tenantId}`);
    }
    const secretHash = await credentials.webhookSecretHash(tenantId, secret);
    return { url, botId: botIdOf(token), secretHash };
  }

  confirm(tenantId: string, secretHash: string): Promise<void> {
    return this.options.credentials.webhookRegistered(tenantId, secretHash);
  }

  async unregister(tenantId: string, options: { everyBot?: boolean } & CallOptions = {}): Promise<number> {
    const { api, secrets } = this.options;
    const current = await secrets.resolveIfPresent(tenantId, SECRET_NAMES.telegramBotToken);
    const names = (await secrets.list(tenantId)).filter((n) => n.startsWith(REPLACED_BOT_TOKEN_PREFIX));
    const bots = new Map<number, { token: string; name?: string }>();
    for (const name of names) {
      const token = await secrets.resolveIfPresent(tenantId, name);
      if (token) bots.set(botIdOf(token), { token, name });
    }
    // A replaced token of the bot still in use (a regenerated token) must not take its webhook down.
    if (current && !options.everyBot) bots.delete(botIdOf(current));
    if (current && options.everyBot) bots.set(botIdOf(current), { token: current });
    for (const { token } of bots.values()) {
      try {
        await api.deleteWebhook(token, options.signal);
      } catch (error) {
        // A token Telegram refuses (revoked, deleted bot) has no webhook that could still call us.
        if (!(error instanceof TelegramApiError && error.tokenRejected)) throw error;
      }
    }
    for (const name of names) await secrets.delete(tenantId, name);
    return bots.size;
  }
}

/** 4xx other than 429: Telegram refused this request for good (bad token, URL it will not call). */
function permanentIfRefused(error: unknown, what: string): unknown {
  if (error instanceof TelegramApiError && error.errorCode !== 429)
    return new PermanentPortError('TELEGRAM_REFUSED', `${what}: ${error.description}`, { cause: error });
  return error;
}
