/**
 * The closed-loop streaming load of `npm run bench:gateway` (gateway.ts):
 * `BENCH_CONCURRENCY` streams at once for `BENCH_DURATION` seconds against
 * one target, measuring first-chunk latency and completed streams per second.
 */
import { Agent } from 'undici';

export const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 200);
export const DURATION_MS = Number(process.env['BENCH_DURATION'] ?? 8) * 1000;
const BODY = JSON.stringify({
  model: 'bench-model',
  stream: true,
  messages: [{ role: 'user', content: 'Write a short paragraph about lighthouses.' }],
});

export interface Run {
  readonly streamsPerSecond: number;
  readonly firstChunkP50Ms: number;
  readonly firstChunkP99Ms: number;
  readonly errors: number;
}

export const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** One streamed chat completion of the benchmark's prompt through `url` (an OpenAI-compatible base). */
function completion(agent: Agent, url: string, authorization: string) {
  const { origin, pathname } = new URL(url);
  return agent.request({
    origin,
    path: `${pathname}/chat/completions`,
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: BODY,
  });
}

/** Closed loop: CONCURRENCY workers, each starting its next stream when the last one ended. */
export async function load(url: string, authorization: string): Promise<Run> {
  const agent = new Agent({ connections: CONCURRENCY * 2, keepAliveTimeout: 30_000 });
  const firstChunks: number[] = [];
  let completed = 0;
  let errors = 0;
  const deadline = performance.now() + DURATION_MS;
  const worker = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      try {
        const response = await completion(agent, url, authorization);
        let first = true;
        for await (const _chunk of response.body) {
          if (first) firstChunks.push(performance.now() - started);
          first = false;
        }
        if (response.statusCode === 200) completed += 1;
        else errors += 1;
      } catch {
        errors += 1;
      }
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = (performance.now() - began) / 1000;
  await agent.close();
  const sorted = firstChunks.sort((x, y) => x - y);
  return {
    streamsPerSecond: completed / elapsed,
    firstChunkP50Ms: percentile(sorted, 50),
    firstChunkP99Ms: percentile(sorted, 99),
    errors,
  };
}

/** A short run that only warms up. */
export async function loadBrief(url: string, authorization: string): Promise<void> {
  const agent = new Agent({ connections: 32 });
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      const response = await completion(agent, url, authorization);
      await response.body.dump();
    }),
  );
  await agent.close();
}
