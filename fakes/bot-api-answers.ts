/**
 * What the fake Telegram Bot API (fake-telegram.ts) keeps per bot token, and
 * how it answers each method: the webhook each bot registered, the delivery
 * state `getWebhookInfo` reports, the tokens revoked, and the results of the
 * methods a gateway uses at start and when replying. Anything it does not
 * model answers `true`.
 */
import { allowedUpdates, botId } from './bot-api-params.js';

export interface BotApiCall {
  readonly token: string;
  readonly method: string;
  /** Parameters from the JSON, urlencoded or query part of the request. */
  readonly params: Record<string, unknown>;
  readonly at: number;
}

export interface WebhookRegistration {
  readonly url: string;
  readonly secretToken?: string;
  readonly allowedUpdates?: readonly string[];
}

/** What `getWebhookInfo` reports besides the URL (Telegram's delivery bookkeeping). */
export interface WebhookDeliveryState {
  readonly pendingUpdateCount: number;
  readonly lastErrorMessage?: string;
}

export class FakeBotAccounts {
  readonly webhooks = new Map<string, WebhookRegistration>();
  readonly revoked = new Set<string>();
  readonly delivery = new Map<string, WebhookDeliveryState>();
  private messageId = 1000;

  /** The `result` of an accepted call. */
  answer(call: BotApiCall): unknown {
    const { token, params } = call;
    switch (call.method) {
      case 'getMe':
        return {
          id: botId(token),
          is_bot: true,
          first_name: 'Fake Bot',
          username: `fake_${botId(token)}_bot`,
          can_join_groups: true,
          can_read_all_group_messages: false,
          supports_inline_queries: false,
        };
      case 'setWebhook': {
        const secret = typeof params['secret_token'] === 'string' ? params['secret_token'] : undefined;
        const url = typeof params['url'] === 'string' ? params['url'] : '';
        const allowed = allowedUpdates(params['allowed_updates']);
        this.webhooks.set(token, {
          url,
          ...(secret ? { secretToken: secret } : {}),
          ...(allowed ? { allowedUpdates: allowed } : {}),
        });
        return true;
      }
      case 'deleteWebhook':
        this.webhooks.delete(token);
        return true;
      case 'getWebhookInfo': {
        const hook = this.webhooks.get(token);
        const state = this.delivery.get(token);
        return {
          url: hook?.url ?? '',
          has_custom_certificate: false,
          pending_update_count: state?.pendingUpdateCount ?? 0,
          ...(state?.lastErrorMessage
            ? { last_error_date: Math.floor(Date.now() / 1000), last_error_message: state.lastErrorMessage }
            : {}),
          ...(hook?.allowedUpdates ? { allowed_updates: hook.allowedUpdates } : {}),
        };
      }
      case 'getUpdates':
        return [];
      case 'sendMessage': {
        const chatId = params['chat_id'];
        return {
          message_id: ++this.messageId,
          date: Math.floor(Date.now() / 1000),
          chat: { id: typeof chatId === 'string' ? Number(chatId) || chatId : chatId, type: 'private' },
          from: { id: botId(token), is_bot: true, first_name: 'Fake Bot' },
          text: params['text'],
        };
      }
      default:
        return true; // setMyCommands, sendChatAction, setMessageReaction, ...
    }
  }

  /** The real API's answers to a token it does not accept: malformed 404, revoked 401. */
  refusal(token: string): { ok: false; error_code: number; description: string } | undefined {
    if (!/^\d+:[A-Za-z0-9_-]+$/.test(token)) return { ok: false, error_code: 404, description: 'Not Found' };
    if (this.revoked.has(token)) return { ok: false, error_code: 401, description: 'Unauthorized' };
    return undefined;
  }

  /** The token of the bot named by username (`fake_<id>_bot`, with or without `@`) or id, if it set a webhook. */
  tokenOf(bot: string): string | undefined {
    const id = bot.replace(/^@/, '').replace(/^fake_(\d+)_bot$/, '$1');
    return [...this.webhooks.keys()].find((t) => String(botId(t)) === id);
  }
}
