/**
 * How the fake model answers, in OpenAI's chat-completion wire format: one
 * JSON body, or server-sent chunks in the order OpenClaw's adapter expects.
 */
import type { ServerResponse } from 'node:http';

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

/** How streamed answers are sent (defaults: all at once, with a usage chunk). */
export interface StreamShape {
  /** Leave out the usage chunk, like a provider that ignores `stream_options.include_usage`. @default false */
  readonly omitUsage?: boolean;
  /** Pause after the first chunk, so a test can see it arrive on its own. @default 0 */
  readonly afterFirstChunkMs?: number;
  /** Pause after the usage chunk, before `[DONE]`. @default 0 */
  readonly beforeDoneMs?: number;
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

/** Rough token count: enough for usage numbers that look plausible. */
export const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

function usageOf(promptTokens: number, text: string) {
  const completionTokens = tokens(text);
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

const pause = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

/**
 * An answer in OpenAI's shape: the tool calls get ids, arguments travel as JSON
 * strings, and text past the request's max tokens is cut off (finish `length`).
 */
function openAiAnswer(turn: ModelTurn, id: string, maxTokens: number | undefined) {
  const toolCalls = (turn.toolCalls ?? []).map((call, index) => ({
    index,
    id: `call_${id}_${index}`,
    type: 'function' as const,
    function: { name: call.name, arguments: JSON.stringify(call.arguments) },
  }));
  const full = turn.text ?? '';
  const cut = maxTokens !== undefined && tokens(full) > maxTokens;
  const text = cut ? full.slice(0, Math.max(0, maxTokens) * 4) : full;
  return {
    text,
    toolCalls,
    finish: cut ? 'length' : toolCalls.length > 0 ? 'tool_calls' : 'stop',
    billed: text + toolCalls.map((call) => call.function.arguments).join(''),
  };
}

/** One completion to answer: the scripted turn, and what the request asked for. */
export interface Completion {
  readonly id: string;
  readonly model: string;
  readonly turn: ModelTurn;
  readonly maxTokens: number | undefined;
  readonly promptTokens: number;
}

export async function streamCompletion(
  res: ServerResponse,
  c: Completion,
  shape: StreamShape,
): Promise<void> {
  const { id, model, promptTokens } = c;
  const created = Math.floor(Date.now() / 1000);
  const answer = openAiAnswer(c.turn, id, c.maxTokens);
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

export function jsonCompletion(res: ServerResponse, c: Completion): void {
  const { id, model, promptTokens } = c;
  const answer = openAiAnswer(c.turn, id, c.maxTokens);
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
