/**
 * A tenant's Telegram bot, as the admin API connects it. Storing a bot token
 * checks it with `getMe` first (a token Telegram refuses is a 422 and nothing
 * is stored), records the bot's username, then has the control plane
 * register the webhook (telegramWebhookWorkflow, whose activity resolves the
 * token and secret itself), so the tenant receives its first message while
 * still asleep. A replaced or removed token is kept under its own name until
 * that workflow has deleted its webhook. The webhook secret never leaves the
 * control plane: the connection view shows what Telegram reports, not it.
 */
import { invalidateTenantLookup } from '../endpoints/tenant-lookup-keys.js';
import type { TenantRecord } from '../registry/tenant-record.js';
import { SECRET_NAMES } from '../registry/secret-store.js';
import { type BotUser, TelegramApiError } from '../telegram/bot-api.js';
import {
  botIdOf,
  replacedBotTokenName,
  sameAllowedUpdates,
  TELEGRAM_ALLOWED_UPDATES,
  tenantWebhookUrl,
} from '../telegram/registration.js';
import type { AdminDeps } from './deps.js';
import { AdminError } from './errors.js';
import type { TelegramConnectionData, WebhookStateData } from './telegram-schemas.js';

/** @default 10_000: a registration normally takes a few Bot API round trips. */
const REGISTER_WAIT_MS = 10_000;
/** `tenant get` must answer even when Telegram does not. */
const INFO_TIMEOUT_MS = 3_000;

export class TelegramService {
  constructor(private readonly deps: AdminDeps) {}

  /** The bot behind `token`, or a 4xx/503 problem before anything is stored. */
  async checkToken(token: string): Promise<BotUser> {
    try {
      return await this.deps.telegram.api.getMe(token);
    } catch (error) {
      if (error instanceof TelegramApiError)
        throw new AdminError(
          422,
          'TELEGRAM_TOKEN_INVALID',
          `Telegram refused the bot token (getMe: ${error.errorCode} ${error.description}); nothing was stored`,
        );
      throw new AdminError(
        503,
        'TELEGRAM_UNAVAILABLE',
        'the Telegram Bot API did not answer getMe; nothing was stored, retry later',
        { cause: error },
      );
    }
  }

  /**
   * Stores a checked token as the tenant's bot. The previous bot's token (if
   * another) waits under its own name for the registration to delete its
   * webhook; a running agent still holding it is put to sleep, so its next
   * wake answers as the new bot.
   */
  async connect(tenantId: string, token: string, bot: BotUser): Promise<void> {
    const { secrets, tenants } = this.deps;
    const previous = await secrets.resolveIfPresent(tenantId, SECRET_NAMES.telegramBotToken);
    if (previous && previous !== token) await secrets.put(tenantId, replacedBotTokenName(previous), previous);
    await secrets.put(tenantId, SECRET_NAMES.telegramBotToken, token);
    await this.recordBot(tenantId, { id: bot.id, username: bot.username });
    if (previous && previous !== token) await tenants.sleep(tenantId).catch(() => undefined);
  }

  /** The bot token is removed: its webhook is deleted by the registration that follows. */
  async disconnect(tenantId: string): Promise<void> {
    const { secrets, tenants } = this.deps;
    const previous = await secrets.resolveIfPresent(tenantId, SECRET_NAMES.telegramBotToken);
    if (previous) await secrets.put(tenantId, replacedBotTokenName(previous), previous);
    await secrets.delete(tenantId, SECRET_NAMES.telegramBotToken);
    await this.recordBot(tenantId, null);
    if (previous) await tenants.sleep(tenantId).catch(() => undefined);
  }

  /**
   * Runs the registration (and the deletion of replaced bots' webhooks) and
   * waits a bounded time for it: `pending` means it goes on in Temporal.
   */
  async register(tenantId: string): Promise<WebhookStateData> {
    await invalidateTenantLookup(this.deps.redis, tenantId);
    const waitMs = this.deps.telegram.registerWaitMs ?? REGISTER_WAIT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<WebhookStateData>(
      (resolve) => (timer = setTimeout(() => resolve({ state: 'pending' }), waitMs)),
    );
    const done = this.deps.tenants
      .syncTelegramWebhook(tenantId, this.deps.telegram.previousSecretGraceMs)
      .then(
        (sync): WebhookStateData =>
          'failed' in sync
            ? { state: 'failed', error: sync.failed.slice(0, 300) }
            : sync.registered
              ? { state: 'registered', url: sync.registered.url }
              : { state: 'none' },
        (error: unknown): WebhookStateData => ({ state: 'failed', error: failureMessage(error) }),
      );
    try {
      return await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** What Telegram reports about the tenant's bot (`getWebhookInfo`); null without a bot token. */
  async connection(record: TenantRecord): Promise<TelegramConnectionData | null> {
    const { tenantId } = record;
    const token = await this.deps.secrets.resolveIfPresent(tenantId, SECRET_NAMES.telegramBotToken);
    if (!token) return null;
    const webhookUrl = tenantWebhookUrl(this.deps.telegram.publicUrl, tenantId);
    const base = {
      botUsername: record.telegramBot?.username ?? null,
      botId: botIdOf(token),
      webhookUrl,
    };
    try {
      const info = await this.deps.telegram.api.getWebhookInfo(token, AbortSignal.timeout(INFO_TIMEOUT_MS));
      return {
        ...base,
        registeredUrl: info.url || null,
        matches: info.url === webhookUrl && sameAllowedUpdates(info.allowedUpdates, TELEGRAM_ALLOWED_UPDATES),
        pendingUpdateCount: info.pendingUpdateCount,
        lastErrorMessage: info.lastErrorMessage,
        lastErrorAt: info.lastErrorDate ? new Date(info.lastErrorDate * 1000).toISOString() : null,
        error: null,
      };
    } catch (error) {
      return {
        ...base,
        registeredUrl: null,
        matches: false,
        pendingUpdateCount: null,
        lastErrorMessage: null,
        lastErrorAt: null,
        error: error instanceof TelegramApiError ? error.message : 'the Telegram Bot API did not answer',
      };
    }
  }

  private async recordBot(tenantId: string, bot: TenantRecord['telegramBot']): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const record = await this.deps.registry.get(tenantId);
      if (!record) return;
      try {
        await this.deps.registry.update(tenantId, { telegramBot: bot }, record.version);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== 'VERSION_CONFLICT' || attempt >= 5) throw error;
      }
    }
  }
}

/** The activity's own message (it names the Bot API method and Telegram's description, never a token). */
function failureMessage(error: unknown): string {
  let current = error as { cause?: unknown; message?: string } | undefined;
  while (current?.cause) current = current.cause;
  return (current?.message ?? String(error)).slice(0, 300);
}
