/**
 * Hot-path calls to tenant supervisors over one undici Agent (keep-alive
 * pools per supervisor origin). Telegram deliveries report an outcome, never
 * throw: anything but the durable ack sends the message down the cold path,
 * which is safe because OpenClaw and the workflow dedupe by `update_id`.
 */
import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
import { withTraceHeaders } from '../common/tracing.js';

export type TelegramOutcome = 'accepted' | 'unauthorized' | 'unavailable';

/** The supervisor routes the router forwards to (supervisor/http-api.ts); the signatures cover these paths. */
export const TELEGRAM_PATH = '/deliver/telegram';
export const CHAT_PATH = '/v1/chat/completions';

export interface UpstreamOptions {
  /** Wait for the supervisor's Telegram ack. @default 10_000 */
  readonly timeoutMs?: number;
  /**
   * A chat answer: without `stream: true` the headers come with the whole
   * turn (model, tools), and a request already sent cannot fall back to the
   * cold path, so only a stuck turn should time out. @default 300_000
   */
  readonly chatTimeoutMs?: number;
  /** @default 4_000 */
  readonly connectTimeoutMs?: number;
}

export interface ChatForward {
  readonly endpoint: string;
  /** A signature of this very request (forward-signer.ts), never a reusable token. */
  readonly authorization: string;
  readonly body: string;
  readonly sessionKey?: string | undefined;
  readonly idempotencyKey?: string | undefined;
  readonly signal?: AbortSignal;
}

/** Errors that prove the request never reached the supervisor, so retrying elsewhere cannot duplicate it. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

export function requestWasNotSent(error: unknown): boolean {
  if (error instanceof undiciErrors.ConnectTimeoutError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NOT_SENT_CODES.has(code);
}

export class Upstream {
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly chatTimeoutMs: number;
  /** Endpoint → origin, so the hot path does not parse a URL per message. */
  private readonly origins = new Map<string, string>();

  constructor(options: UpstreamOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.chatTimeoutMs = options.chatTimeoutMs ?? 300_000;
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      connections: 64,
      pipelining: 1,
      connect: { timeout: options.connectTimeoutMs ?? 4_000 },
    });
  }

  /** POST the raw update to the supervisor; `accepted` only after OpenClaw's durable ack. */
  async deliverTelegram(endpoint: string, authorization: string, body: string): Promise<TelegramOutcome> {
    let response: Dispatcher.ResponseData;
    try {
      response = await this.agent.request({
        origin: this.origin(endpoint),
        path: TELEGRAM_PATH,
        method: 'POST',
        headers: withTraceHeaders({ authorization, 'content-type': 'application/json' }),
        body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch {
      return 'unavailable';
    }
    const answer = (await response.body.json().catch(() => null)) as { accepted?: unknown } | null;
    if (response.statusCode === 401) return 'unauthorized';
    return response.statusCode === 200 && answer?.accepted === 'durable' ? 'accepted' : 'unavailable';
  }

  /** Open a chat completion; the caller streams the body through. Throws on transport errors. */
  openChat(forward: ChatForward): Promise<Dispatcher.ResponseData> {
    return this.agent.request({
      origin: this.origin(forward.endpoint),
      path: CHAT_PATH,
      method: 'POST',
      headers: withTraceHeaders({
        authorization: forward.authorization,
        'content-type': 'application/json',
        ...(forward.sessionKey !== undefined && { 'x-openclaw-session-key': forward.sessionKey }),
        ...(forward.idempotencyKey !== undefined && { 'idempotency-key': forward.idempotencyKey }),
      }),
      body: forward.body,
      headersTimeout: this.chatTimeoutMs,
      // A model may pause between tokens far longer than a Telegram ack takes.
      bodyTimeout: this.chatTimeoutMs,
      ...(forward.signal && { signal: forward.signal }),
    });
  }

  private origin(endpoint: string): string {
    let origin = this.origins.get(endpoint);
    if (origin === undefined) {
      origin = new URL(endpoint).origin;
      if (this.origins.size >= 10_000) this.origins.clear(); // endpoints change as pods come and go
      this.origins.set(endpoint, origin);
    }
    return origin;
  }

  /** Requests to supervisors running or queued now: 0 when nothing is in flight (shutdown, tests). */
  get inFlight(): number {
    let count = 0;
    for (const stats of Object.values(this.agent.stats)) count += stats.running + stats.pending;
    return count;
  }

  /** True once `close` has begun: the pools take no new requests. */
  get closed(): boolean {
    return this.agent.closed;
  }

  /** Waits for in-flight requests, then closes the pools. */
  close(): Promise<void> {
    return this.agent.close();
  }
}
