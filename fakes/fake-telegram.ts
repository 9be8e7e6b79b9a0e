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
import { parseParams } from './bot-api-params.js';
import {
  FakeBotAccounts,
  type BotApiCall,
  type WebhookDeliveryState,
  type WebhookRegistration,
} from './bot-api-answers.js';
import { readBody } from './http-body.js';
import { telegramUpdate } from './telegram-update.js';

export { telegramUpdate, type UpdateOptions } from './telegram-update.js';
export type { BotApiCall, WebhookDeliveryState, WebhookRegistration } from './bot-api-answers.js';

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
  const bots = new FakeBotAccounts();
  const waiters = new Set<(call: BotApiCall) => void>();

  // Like Telegram's, ids keep growing across restarts of the fake (OpenClaw drops an update_id it has seen).
  let nextUpdateId = Math.floor(Date.now() / 1000);
  const sendToBot = async (bot: string, text: string, chatId?: number): Promise<number> => {
    const token = bots.tokenOf(bot);
    const hook = token ? bots.webhooks.get(token) : undefined;
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
    const refusal = bots.refusal(call.token);
    const body = JSON.stringify(refusal ?? { ok: true, result: bots.answer(call) });
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
    webhookOf: (token) => bots.webhooks.get(token),
    revoke: (token) => void bots.revoked.add(token),
    setDeliveryState: (token, state) => void bots.delivery.set(token, state),
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
