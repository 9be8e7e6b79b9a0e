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
import { lastUserText, type ChatMessage } from './llm-messages.js';
import {
  jsonCompletion,
  sendJson,
  streamCompletion,
  tokens,
  type ModelTurn,
  type StreamShape,
} from './llm-answers.js';

export type { ModelTurn, ScriptedToolCall, StreamShape } from './llm-answers.js';

export type { ChatMessage, ToolResult } from './llm-messages.js';
export { lastUserText, messageText, toolResults, userText, userTexts } from './llm-messages.js';

export interface RecordedLlmRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  /** Parsed JSON body (undefined for GET or unparseable bodies). */
  readonly body:
    | {
        model?: string;
        stream?: boolean;
        messages?: ChatMessage[];
        tools?: unknown[];
        max_tokens?: number;
        max_completion_tokens?: number;
      }
    | undefined;
  readonly at: number;
}

/** Decides the answer (plain text, or a ModelTurn with tool calls) from the messages the model was sent. */
export type ReplyScript = (
  messages: readonly ChatMessage[],
  request: RecordedLlmRequest,
) => string | ModelTurn | Promise<string | ModelTurn>;

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

/** The tool names OpenClaw offered the model in a request: what the tenant's tool policy allows. */
export function offeredTools(request: RecordedLlmRequest): string[] {
  return (request.body?.tools ?? []).flatMap((tool) => {
    const name = (tool as { function?: { name?: unknown } } | null)?.function?.name;
    return typeof name === 'string' ? [name] : [];
  });
}

export const echoReply: ReplyScript = (messages) => `echo: ${lastUserText(messages)}`;

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
      const scripted = await reply(body.messages, record);
      const turn: ModelTurn = typeof scripted === 'string' ? { text: scripted } : scripted;
      const id = `chatcmpl-fake-${++counter}`;
      const model = body.model ?? models[0] ?? 'fake-model';
      const promptTokens = tokens(JSON.stringify(body.messages));
      const completion = {
        id,
        model,
        turn,
        maxTokens: body.max_completion_tokens ?? body.max_tokens,
        promptTokens,
      };
      if (body.stream) await streamCompletion(res, completion, shape);
      else jsonCompletion(res, completion);
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
