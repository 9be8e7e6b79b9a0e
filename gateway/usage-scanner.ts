/**
 * Reads the token usage out of an OpenAI-compatible response while it passes
 * through. A stream is a Transform that hands every chunk on first and looks
 * at it second (no buffering: a chunk leaves as soon as it arrives); it
 * reads the completion id, the `usage` member (sent last when the request
 * asked for `stream_options.include_usage`), and the length of the content
 * deltas for an estimate when the provider sends no usage.
 */
import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';

export interface MeteredUsage {
  readonly input: number;
  readonly output: number;
  readonly cached: number;
  /** No usage from the provider: counted from characters (about 4 per token). */
  readonly estimated: boolean;
}

interface OpenAiUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number };
}

/** About four characters per token: the usual rule of thumb for English text and JSON. */
export const estimateTokens = (chars: number): number => (chars <= 0 ? 0 : Math.max(1, Math.ceil(chars / 4)));

function fromOpenAi(usage: OpenAiUsage): MeteredUsage | null {
  const input = usage.prompt_tokens;
  const output = usage.completion_tokens;
  if (!Number.isSafeInteger(input) || !Number.isSafeInteger(output)) return null;
  const cached = usage.prompt_tokens_details?.cached_tokens;
  return {
    input: input!,
    output: output!,
    cached: Number.isSafeInteger(cached) ? Math.min(cached!, input!) : 0,
    estimated: false,
  };
}

/** Content characters of a chunk's or a message's choices. */
function contentChars(choices: unknown): number {
  if (!Array.isArray(choices)) return 0;
  let chars = 0;
  for (const choice of choices as { delta?: Record<string, unknown>; message?: Record<string, unknown> }[]) {
    const part = choice.delta ?? choice.message;
    if (typeof part?.['content'] === 'string') chars += part['content'].length;
    if (part?.['tool_calls'] !== undefined) chars += JSON.stringify(part['tool_calls']).length;
  }
  return chars;
}

export class SseUsageScanner extends Transform {
  completionId: string | null = null;
  private usage: MeteredUsage | null = null;
  private outputChars = 0;
  private pending = '';
  private readonly decoder = new StringDecoder('utf8');

  /** Called once, as soon as the provider's usage chunk has passed. */
  onUsage: ((usage: MeteredUsage) => void) | null = null;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.push(chunk);
    this.scan(this.decoder.write(chunk));
    done();
  }

  override _flush(done: TransformCallback): void {
    this.scan(`${this.decoder.end()}\n`);
    done();
  }

  /** The provider's usage, or an estimate from `inputChars` and the content that streamed. */
  result(inputChars: number): MeteredUsage {
    return (
      this.usage ?? {
        input: estimateTokens(inputChars),
        output: estimateTokens(this.outputChars),
        cached: 0,
        estimated: true,
      }
    );
  }

  private scan(text: string): void {
    const lines = (this.pending + text).split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data === '' || data === '[DONE]') continue;
      let event: { id?: unknown; usage?: OpenAiUsage | null; choices?: unknown };
      try {
        event = JSON.parse(data) as typeof event;
      } catch {
        continue; // not ours to judge: the client gets the bytes as they were
      }
      if (this.completionId === null && typeof event.id === 'string') this.completionId = event.id;
      this.outputChars += contentChars(event.choices);
      const usage = event.usage ? fromOpenAi(event.usage) : null;
      if (usage && !this.usage) {
        this.usage = usage;
        this.onUsage?.(usage);
      }
    }
  }
}

/** Usage of a whole (non-streamed) completion body. */
export function jsonUsage(
  body: string,
  inputChars: number,
): { usage: MeteredUsage; completionId: string | null } {
  let parsed: { id?: unknown; usage?: OpenAiUsage; choices?: unknown } = {};
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    // an unparseable body is estimated from its length below
  }
  const usage = parsed.usage ? fromOpenAi(parsed.usage) : null;
  return {
    usage: usage ?? {
      input: estimateTokens(inputChars),
      output: estimateTokens(parsed.choices ? contentChars(parsed.choices) : body.length),
      cached: 0,
      estimated: true,
    },
    completionId: typeof parsed.id === 'string' ? parsed.id : null,
  };
}
