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

export type { ChatMessage, ToolResult } from './llm-messages.js';
export { lastUserText, messageText, toolResults, userText, userTexts } from './llm-messages.js';

/** A tool call the model asks for: OpenClaw runs it and calls the model again with the result. */
export interface ScriptedToolCall {
  readonly name: string;
  readonly arguments: Record<string, unknown>;
}

/** A model answer: text, tool calls, or both (OpenAI allows text alongside `tool_calls`). */
export interface ModelTurn {
  readonly text?: string;
  readonly toolCalls?: readonly ScriptedToolCall[];
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

/** The tool names OpenClaw offered the model in a request: what the tenant's tool policy allows. */
export function offeredTools(request: RecordedLlmRequest): string[] {
  return (request.body?.tools ?? []).flatMap((tool) => {
    const name = (tool as { function?: { name?: unknown } } | null)?.function?.name;
    return typeof name === 'string' ? [name] : [];
  });
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

/** An answer in OpenAI's shape: the tool calls get ids, arguments travel as JSON strings. */
function openAiAnswer(turn: ModelTurn, id: string) {
  const toolCalls = (turn.toolCalls ?? []).map((call, index) => ({
    index,
    id: `call_${id}_${index}`,
    type: 'function' as const,
    function: { name: call.name, arguments: JSON.stringify(call.arguments) },
  }));
  const text = turn.text ?? '';
  return {
    text,
    toolCalls,
    finish: toolCalls.length > 0 ? 'tool_calls' : 'stop',
    billed: text + toolCalls.map((call) => call.function.arguments).join(''),
  };
}

async function streamCompletion(
  res: ServerResponse,
  id: string,
  model: string,
  turn: ModelTurn,
  promptTokens: number,
  shape: StreamShape,
): Promise<void> {
  const created = Math.floor(Date.now() / 1000);
  const answer = openAiAnswer(turn, id);
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...extra })}\n\n`;
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  // The order OpenClaw's openai-completions adapter expects: role, content, tool calls, stop, usage, [DONE].
  res.write(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]));
  await pause(shape.afterFirstChunkMs ?? 0);
  if (answer.text) res.write(chunk([{ index: 0, delta: { content: answer.text }, finish_reason: null }]));
  for (const call of answer.toolCalls)
    res.write(chunk([{ index: 0, delta: { tool_calls: [call] }, finish_reason: null }]));
  res.write(chunk([{ index: 0, delta: {}, finish_reason: answer.finish }]));
  if (!shape.omitUsage) res.write(chunk([], { usage: usageOf(promptTokens, answer.billed) }));
  await pause(shape.beforeDoneMs ?? 0);
  if (!res.destroyed) res.end('data: [DONE]\n\n');
}

function jsonCompletion(
  res: ServerResponse,
  id: string,
  model: string,
  turn: ModelTurn,
  promptTokens: number,
): void {
  const answer = openAiAnswer(turn, id);
  const message = {
    role: 'assistant',
    content: answer.text || (answer.toolCalls.length > 0 ? null : ''),
    ...(answer.toolCalls.length > 0
      ? { tool_calls: answer.toolCalls.map(({ index: _index, ...call }) => call) }
      : {}),
  };
  sendJson(res, 200, {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, finish_reason: answer.finish }],
    usage: usageOf(promptTokens, answer.billed),
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
      const scripted = await reply(body.messages, record);
      const turn: ModelTurn = typeof scripted === 'string' ? { text: scripted } : scripted;
      const id = `chatcmpl-fake-${++counter}`;
      const model = body.model ?? models[0] ?? 'fake-model';
      const promptTokens = tokens(JSON.stringify(body.messages));
      if (body.stream) await streamCompletion(res, id, model, turn, promptTokens, shape);
      else jsonCompletion(res, id, model, turn, promptTokens);
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
