/**
 * An OpenAI-compatible fake model provider: a small local HTTP server that
 * OpenClaw (configured with a custom `models.providers.<name>` pointing here)
 * calls instead of a real model. It answers instantly, records every request
 * so a test can assert what the model was shown (e.g. earlier turns of the
 * conversation), and lets the test script the replies.
 *
 * No test-framework imports: the offline dev stack runs it too.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './http-body.js';

export interface ChatMessage {
  readonly role: string;
  /** OpenAI allows a string or an array of content parts. */
  readonly content?: unknown;
}

export interface RecordedLlmRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  /** Parsed JSON body (undefined for GET or unparseable bodies). */
  readonly body:
    { model?: string; stream?: boolean; messages?: ChatMessage[]; tools?: unknown[] } | undefined;
  readonly at: number;
}

/** Decides the reply text from the messages the model was sent. */
export type ReplyScript = (
  messages: readonly ChatMessage[],
  request: RecordedLlmRequest,
) => string | Promise<string>;

export interface FakeLlmOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default echo: "echo: <last user text>" */
  readonly reply?: ReplyScript;
  /** Model ids listed by `GET /v1/models`. @default ['fake-model'] */
  readonly models?: readonly string[];
}

/** How streamed answers are sent (defaults: all at once, with a usage chunk). */
export interface StreamShape {
  /** Leave out the usage chunk, like a provider that ignores `stream_options.include_usage`. @default false */
  readonly omitUsage?: boolean;
  /** Pause after the first chunk, so a test can see it arrive on its own. @default 0 */
  readonly afterFirstChunkMs?: number;
  /** Pause after the usage chunk, before `[DONE]`. @default 0 */
  readonly beforeDoneMs?: number;
}

export interface FakeLlm {
  /** Base URL including `/v1`, ready for `models.providers.<name>.baseUrl`. */
  readonly url: string;
  readonly requests: readonly RecordedLlmRequest[];
  /** Only the chat completion requests, in arrival order. */
  completions(): RecordedLlmRequest[];
  /** Replace the reply script (e.g. per test). */
  setReply(reply: ReplyScript): void;
  /** Shape the next streamed answers (see StreamShape). */
  setStream(shape: StreamShape): void;
  close(): Promise<void>;
}

/** Flattens OpenAI content (string or `[{type:'text', text}]` parts) to plain text. */
export function messageText(message: ChatMessage | undefined): string {
  const content = message?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) =>
        part && typeof part === 'object' && 'text' in part && typeof part.text === 'string' ? part.text : '',
      )
      .join('');
  }
  return '';
}

const INTERNAL_CONTEXT = '<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>';

/**
 * What the person actually wrote, from an OpenClaw user message. OpenClaw
 * 2026.9 wraps it as `[<time>] Conversation info: ⟦openclaw:ctx⟧ ```json …``` <text>
 * Runtime: …` and appends a separate user message holding internal context,
 * so "the last user message" is never the user's text.
 */
export function userText(message: ChatMessage | undefined): string {
  let text = messageText(message);
  const runtime = text.indexOf('\n\nRuntime: ');
  if (runtime >= 0) text = text.slice(0, runtime);
  if (text.includes('⟦openclaw:ctx⟧')) text = text.slice(text.lastIndexOf('```\n\n') + 5);
  return text.replace(/^\[[^\]]*\]\s*/, '').trim();
}

/** The latest message the user wrote (skipping OpenClaw's internal-context messages). */
export function lastUserText(messages: readonly ChatMessage[]): string {
  const written = messages.filter((m) => m.role === 'user' && !messageText(m).startsWith(INTERNAL_CONTEXT));
  return userText(written.at(-1));
}

/** Every message the user wrote so far, oldest first: what a test checks for conversation continuity. */
export function userTexts(messages: readonly ChatMessage[]): string[] {
  return messages
    .filter((m) => m.role === 'user' && !messageText(m).startsWith(INTERNAL_CONTEXT))
    .map(userText);
}

export const echoReply: ReplyScript = (messages) => `echo: ${lastUserText(messages)}`;

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

/** Rough token count: enough for usage numbers that look plausible. */
const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

function usageOf(promptTokens: number, text: string) {
  const completionTokens = tokens(text);
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

const pause = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

async function streamCompletion(
  res: ServerResponse,
  id: string,
  model: string,
  text: string,
  promptTokens: number,
  shape: StreamShape,
): Promise<void> {
  const created = Math.floor(Date.now() / 1000);
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...extra })}\n\n`;
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  // The order OpenClaw's openai-completions adapter expects: role, content, stop, usage, [DONE].
  res.write(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]));
  await pause(shape.afterFirstChunkMs ?? 0);
  res.write(chunk([{ index: 0, delta: { content: text }, finish_reason: null }]));
  res.write(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
  if (!shape.omitUsage) res.write(chunk([], { usage: usageOf(promptTokens, text) }));
  await pause(shape.beforeDoneMs ?? 0);
  if (!res.destroyed) res.end('data: [DONE]\n\n');
}

function jsonCompletion(
  res: ServerResponse,
  id: string,
  model: string,
  text: string,
  promptTokens: number,
): void {
  sendJson(res, 200, {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: usageOf(promptTokens, text),
  });
}

export async function startFakeLlm(options: FakeLlmOptions = {}): Promise<FakeLlm> {
  const requests: RecordedLlmRequest[] = [];
  let reply = options.reply ?? echoReply;
  let shape: StreamShape = {};
  const models = options.models ?? ['fake-model'];
  let counter = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname.replace(/\/+$/, '');
    const raw = await readBody(req);
    let body: RecordedLlmRequest['body'];
    try {
      body = raw ? (JSON.parse(raw) as RecordedLlmRequest['body']) : undefined;
    } catch {
      body = undefined;
    }
    const record: RecordedLlmRequest = {
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body,
      at: Date.now(),
    };
    requests.push(record);

    if (req.method === 'GET' && path.endsWith('/models')) {
      sendJson(res, 200, {
        object: 'list',
        data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'fake' })),
      });
      return;
    }
    if (req.method === 'POST' && path.endsWith('/chat/completions')) {
      if (!body || !Array.isArray(body.messages)) {
        sendJson(res, 400, {
          error: { message: 'messages must be an array', type: 'invalid_request_error' },
        });
        return;
      }
      const text = await reply(body.messages, record);
      const id = `chatcmpl-fake-${++counter}`;
      const model = body.model ?? models[0] ?? 'fake-model';
      const promptTokens = tokens(JSON.stringify(body.messages));
      if (body.stream) await streamCompletion(res, id, model, text, promptTokens, shape);
      else jsonCompletion(res, id, model, text, promptTokens);
      return;
    }
    sendJson(res, 404, { error: { message: `no route ${req.method} ${path}`, type: 'not_found' } });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(error), type: 'fake_error' } });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { address, port } = server.address() as AddressInfo;

  return {
    url: `http://${address}:${port}/v1`,
    requests,
    completions: () => requests.filter((r) => r.method === 'POST' && r.path.endsWith('/chat/completions')),
    setReply: (next) => {
      reply = next;
    },
    setStream: (next) => {
      shape = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The uniform fake API (`start({port, host}) → {url, close()}`) used by the dev stack. */
export const start = startFakeLlm;
