/**
 * The few Bot API methods the control plane calls itself (`getMe`,
 * `setWebhook`, `deleteWebhook`, `getWebhookInfo`), against a configurable
 * API root (api.telegram.org, or the fake Bot API in tests and the offline
 * dev stack). The bot token is part of every URL, so neither URLs nor tokens
 * ever appear in errors or logs: an error names the method and Telegram's own
 * description only.
 */
import { ClawfleetError } from '../common/errors.js';

/** Telegram answered `ok: false` (or an HTTP error); `errorCode` is its `error_code`. */
export class TelegramApiError extends ClawfleetError {
  constructor(
    readonly method: string,
    readonly errorCode: number,
    readonly description: string,
    /** Seconds Telegram asked to wait (`parameters.retry_after` on 429). */
    readonly retryAfterSeconds?: number,
  ) {
    super('TELEGRAM_API_ERROR', `Telegram ${method} failed: ${errorCode} ${description}`.slice(0, 300));
  }

  /** 401 (revoked or wrong token) and 404 (malformed token): no retry will make this token work. */
  get tokenRejected(): boolean {
    return this.errorCode === 401 || this.errorCode === 404;
  }
}

/** Nothing usable came back (refused, timeout, not JSON): worth retrying later. */
export class TelegramUnavailableError extends ClawfleetError {
  constructor(method: string, options?: { cause?: unknown }) {
    super('TELEGRAM_UNAVAILABLE', `Telegram ${method}: the Bot API did not answer`, options);
  }
}

export interface BotUser {
  readonly id: number;
  readonly username: string;
  readonly firstName: string;
}

export interface WebhookInfo {
  readonly url: string;
  readonly pendingUpdateCount: number;
  readonly lastErrorDate: number | null;
  readonly lastErrorMessage: string | null;
  readonly allowedUpdates: string[] | undefined;
}

export interface SetWebhookParams {
  readonly url: string;
  readonly secretToken: string;
  readonly allowedUpdates: readonly string[];
}

export interface TelegramBotApiOptions {
  /** API root without `/bot<token>`. @default 'https://api.telegram.org' */
  readonly apiRoot?: string;
  /** Per call. @default 10_000 */
  readonly timeoutMs?: number;
}

/** `<bot id>:<secret>` as BotFather issues them; anything else never goes into a URL. */
const BOT_TOKEN = /^\d{1,20}:[A-Za-z0-9_-]{1,200}$/;

interface BotApiAnswer {
  ok?: boolean;
  result?: unknown;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number };
}

export class TelegramBotApi {
  private readonly apiRoot: string;
  private readonly timeoutMs: number;

  constructor(options: TelegramBotApiOptions = {}) {
    this.apiRoot = (options.apiRoot ?? 'https://api.telegram.org').replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async getMe(token: string, signal?: AbortSignal): Promise<BotUser> {
    const me = (await this.call(token, 'getMe', {}, signal)) as {
      id: number;
      username?: string;
      first_name?: string;
    };
    return { id: me.id, username: me.username ?? '', firstName: me.first_name ?? '' };
  }

  async setWebhook(token: string, params: SetWebhookParams, signal?: AbortSignal): Promise<void> {
    await this.call(
      token,
      'setWebhook',
      { url: params.url, secret_token: params.secretToken, allowed_updates: params.allowedUpdates },
      signal,
    );
  }

  /** Pending updates stay at Telegram (`drop_pending_updates` is not set). */
  async deleteWebhook(token: string, signal?: AbortSignal): Promise<void> {
    await this.call(token, 'deleteWebhook', {}, signal);
  }

  async getWebhookInfo(token: string, signal?: AbortSignal): Promise<WebhookInfo> {
    const info = (await this.call(token, 'getWebhookInfo', {}, signal)) as {
      url?: string;
      pending_update_count?: number;
      last_error_date?: number;
      last_error_message?: string;
      allowed_updates?: string[];
    };
    return {
      url: info.url ?? '',
      pendingUpdateCount: info.pending_update_count ?? 0,
      lastErrorDate: info.last_error_date ?? null,
      lastErrorMessage: info.last_error_message ?? null,
      allowedUpdates: info.allowed_updates,
    };
  }

  private async call(
    token: string,
    method: string,
    params: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<unknown> {
    // Telegram answers 404 to a malformed token; refusing it here also keeps it out of the URL path.
    if (!BOT_TOKEN.test(token))
      throw new TelegramApiError(method, 404, 'Not Found: not a bot token (<bot id>:<secret>)');
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let response: Response;
    let answer: BotApiAnswer;
    try {
      response = await fetch(`${this.apiRoot}/bot${token}/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(params),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      answer = (await response.json()) as BotApiAnswer;
    } catch (error) {
      // The cause is a network or parse error; fetch's errors do not carry the URL (and so not the token).
      throw new TelegramUnavailableError(method, { cause: error });
    }
    if (answer.ok === true) return answer.result;
    const code = answer.error_code ?? response.status;
    if (code >= 500) throw new TelegramUnavailableError(method);
    throw new TelegramApiError(
      method,
      code,
      answer.description ?? response.statusText,
      answer.parameters?.retry_after,
    );
  }
}
