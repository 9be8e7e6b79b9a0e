/**
 * Reading the OpenAI chat messages OpenClaw sends a model: what the person
 * wrote (OpenClaw wraps it in context), and what the tools it ran returned.
 * Shared by the fake model and the tests that script it.
 */

export interface ChatMessage {
  readonly role: string;
  /** OpenAI allows a string or an array of content parts. */
  readonly content?: unknown;
  /** Set on `role: 'tool'` messages: the call this result answers. */
  readonly tool_call_id?: string;
  /** Set on assistant messages that asked for tools. */
  readonly tool_calls?: readonly {
    readonly id: string;
    readonly function: { readonly name: string; readonly arguments: string };
  }[];
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

const written = (messages: readonly ChatMessage[]) =>
  messages.filter((m) => m.role === 'user' && !messageText(m).startsWith(INTERNAL_CONTEXT));

/** The latest message the user wrote (skipping OpenClaw's internal-context messages). */
export function lastUserText(messages: readonly ChatMessage[]): string {
  return userText(written(messages).at(-1));
}

/** Every message the user wrote so far, oldest first: what a test checks for conversation continuity. */
export function userTexts(messages: readonly ChatMessage[]): string[] {
  return written(messages).map(userText);
}

export interface ToolResult {
  /** The tool's name, from the assistant message that called it. */
  readonly name: string;
  readonly callId: string;
  /** The result as OpenClaw showed it to the model (text, often JSON). */
  readonly text: string;
}

/**
 * The tool results of the current turn: every `role: 'tool'` message after
 * the last message the user wrote, oldest first. Empty on a turn's first call.
 */
export function toolResults(messages: readonly ChatMessage[]): ToolResult[] {
  const lastUser = messages.lastIndexOf(written(messages).at(-1) as ChatMessage);
  const names = new Map<string, string>();
  const results: ToolResult[] = [];
  for (const message of messages.slice(lastUser + 1)) {
    for (const call of message.tool_calls ?? []) names.set(call.id, call.function.name);
    if (message.role === 'tool' && message.tool_call_id)
      results.push({
        name: names.get(message.tool_call_id) ?? '',
        callId: message.tool_call_id,
        text: messageText(message),
      });
  }
  return results;
}
