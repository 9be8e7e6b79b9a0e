/**
 * A fake Telegram Bot API: OpenClaw's Telegram channel (with `apiRoot`
 * pointing here) calls `/bot<token>/<method>` on it instead of
 * api.telegram.org. It records every call per bot token, keeps the webhook
 * each bot registered, and answers the methods a gateway uses at start and
 * when replying. Anything it does not model answers `{ok: true, result: true}`.
 * Like the real API, a revoked token (see `revoke`) gets 401 Unauthorized and
 * a malformed one 404 Not Found, for every method.
 *
 * No test-framework imports: the offline dev stack runs it too.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { allowedUpdates, botId, parseParams } from './bot-api-params.js';
import { readBody } from './http-body.js';
import { telegramUpdate } from './telegram-update.js';

export { telegramUpdate, type UpdateOptions } from './telegram-update.js';

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

export interface FakeTelegramOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
}

export interface FakeTelegram {
  /** Value for `channels.telegram.apiRoot`. */
  readonly url: string;
  readonly calls: readonly BotApiCall[];
  callsFor(token: string, method?: string): BotApiCall[];
  webhookOf(token: string): WebhookRegistration | undefined;
  /** From now on every call with `token` is answered 401 (the bot's token was revoked at BotFather). */
  revoke(token: string): void;
  /** Sets what `getWebhookInfo` reports for `token` (pending updates, last delivery error). */
  setDeliveryState(token: string, state: WebhookDeliveryState): void;
  /**
   * Plays Telegram delivering a text message to the bot: POSTs an update to
   * the webhook the bot registered, with the secret it registered; resolves
   * with the webhook's HTTP status. Also `POST <url>/_send {"bot": "<username
   * or bot id>", "text": "…", "chatId"?: n}` (the offline dev stack).
   */
  sendToBot(bot: string, text: string, chatId?: number): Promise<number>;
  /** Resolves with the first call (past or future) matching `predicate`; rejects after `timeoutMs`. */
  waitFor(predicate: (call: BotApiCall) => boolean, timeoutMs: number): Promise<BotApiCall>;
  close(): Promise<void>;
}

export async function startFakeTelegram(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const calls: BotApiCall[] = [];
  const webhooks = new Map<string, WebhookRegistration>();
  const revoked = new Set<string>();
  const delivery = new Map<string, WebhookDeliveryState>();
  const waiters = new Set<(call: BotApiCall) => void>();
  let messageId = 1000;

  const result = (call: BotApiCall): unknown => {
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
        webhooks.set(token, {
          url,
          ...(secret ? { secretToken: secret } : {}),
          ...(allowed ? { allowedUpdates: allowed } : {}),
        });
        return true;
      }
      case 'deleteWebhook':
        webhooks.delete(token);
        return true;
      case 'getWebhookInfo': {
        const hook = webhooks.get(token);
        const state = delivery.get(token);
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
          message_id: ++messageId,
          date: Math.floor(Date.now() / 1000),
          chat: { id: typeof chatId === 'string' ? Number(chatId) || chatId : chatId, type: 'private' },
          from: { id: botId(token), is_bot: true, first_name: 'Fake Bot' },
          text: params['text'],
        };
      }
      default:
        return true; // setMyCommands, sendChatAction, setMessageReaction, ...
    }
  };

  // Like Telegram's, ids keep growing across restarts of the fake (OpenClaw drops an update_id it has seen).
  let nextUpdateId = Math.floor(Date.now() / 1000);
  const sendToBot = async (bot: string, text: string, chatId?: number): Promise<number> => {
    const id = bot.replace(/^@/, '').replace(/^fake_(\d+)_bot$/, '$1');
    const token = [...webhooks.keys()].find((t) => String(botId(t)) === id);
    const hook = token ? webhooks.get(token) : undefined;
    if (!hook) throw new Error(`fake Telegram: bot ${bot} has no webhook registered`);
    const response = await fetch(hook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(hook.secretToken ? { 'x-telegram-bot-api-secret-token': hook.secretToken } : {}),
      },
      body: JSON.stringify(telegramUpdate({ updateId: nextUpdateId++, text, ...(chatId ? { chatId } : {}) })),
    });
    await response.arrayBuffer();
    return response.status;
  };

  /** The real API's answers to a token it does not accept. */
  const refused = (token: string) =>
    !/^\d+:[A-Za-z0-9_-]+$/.test(token)
      ? { ok: false, error_code: 404, description: 'Not Found' }
      : revoked.has(token)
        ? { ok: false, error_code: 401, description: 'Unauthorized' }
        : undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    const raw = await readBody(req);
    if (url.pathname === '/_messages') {
      // Offline dev stack: what the bots sent, without bot tokens (`curl <url>/_messages`).
      const sent = calls
        .filter((c) => c.method === 'sendMessage')
        .map((c) => ({
          at: new Date(c.at).toISOString(),
          chatId: c.params['chat_id'],
          text: c.params['text'],
        }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(sent, null, 2));
      return;
    }
    if (url.pathname === '/_send' && req.method === 'POST') {
      // Offline dev stack: "a user messages the bot" (`curl <url>/_send -d '{"bot":"fake_42_bot","text":"hi"}'`).
      const { bot, text, chatId } = JSON.parse(raw || '{}') as {
        bot?: string;
        text?: string;
        chatId?: number;
      };
      const status = await sendToBot(String(bot), String(text ?? ''), chatId).catch((e: Error) => e.message);
      res.writeHead(typeof status === 'number' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(typeof status === 'number' ? { webhookStatus: status } : { error: status }));
      return;
    }
    if (!match) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error_code: 404, description: 'Not Found' }));
      return;
    }
    const call: BotApiCall = {
      token: decodeURIComponent(match[1]!),
      method: match[2]!,
      params: parseParams(req, url, raw),
      at: Date.now(),
    };
    calls.push(call);
    const refusal = refused(call.token);
    const body = JSON.stringify(refusal ?? { ok: true, result: result(call) });
    res.writeHead(refusal?.error_code ?? 200, { 'content-type': 'application/json' });
    res.end(body);
    for (const waiter of waiters) waiter(call);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { address, port } = server.address() as AddressInfo;

  const waitFor = (predicate: (call: BotApiCall) => boolean, timeoutMs: number): Promise<BotApiCall> => {
    const seen = calls.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = (call: BotApiCall) => {
        if (!predicate(call)) return;
        clearTimeout(timer);
        waiters.delete(waiter);
        resolve(call);
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        const recent =
          calls
            .slice(-5)
            .map((c) => c.method)
            .join(', ') || 'none';
        reject(
          new Error(`fake Telegram: no matching Bot API call within ${timeoutMs} ms (last calls: ${recent})`),
        );
      }, timeoutMs);
      waiters.add(waiter);
    });
  };

  return {
    url: `http://${address}:${port}`,
    calls,
    callsFor: (token, method) =>
      calls.filter((c) => c.token === token && (method === undefined || c.method === method)),
    webhookOf: (token) => webhooks.get(token),
    revoke: (token) => void revoked.add(token),
    setDeliveryState: (token, state) => void delivery.set(token, state),
    sendToBot,
    waitFor,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The uniform fake API (`start({port, host}) → {url, close()}`) used by the dev stack. */
export const start = startFakeTelegram;
