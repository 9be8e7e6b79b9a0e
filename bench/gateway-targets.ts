/**
 * The child process of `bench:gateway` that serves (a) the fake upstream
 * (an OpenAI-compatible SSE stream: a role chunk at once, `BENCH_CHUNKS` (20)
 * content chunks `BENCH_CHUNK_GAP_MS` (25 ms, a model's pace) apart, stop, usage, [DONE]) and (b) the
 * minimal pass-through proxy in front of it (undici pool, body piped as is).
 * Prints `{"upstream": port, "proxy": port}` once both listen.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import { Agent } from 'undici';

const CHUNKS = Number(process.env['BENCH_CHUNKS'] ?? 20);
const GAP_MS = Number(process.env['BENCH_CHUNK_GAP_MS'] ?? 25);
let counter = 0;

function upstream(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  req.once('end', () => {
    const id = `chatcmpl-bench-${++counter}`;
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', model: 'bench-model', choices, ...extra })}\n\n`;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]));
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed) return clearInterval(timer);
      if (sent < CHUNKS) {
        sent += 1;
        res.write(chunk([{ index: 0, delta: { content: 'lorem ipsum ' }, finish_reason: null }]));
        return;
      }
      clearInterval(timer);
      res.write(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
      res.write(
        chunk([], {
          usage: { prompt_tokens: 50, completion_tokens: CHUNKS * 3, total_tokens: 50 + CHUNKS * 3 },
        }),
      );
      res.end('data: [DONE]\n\n');
    }, GAP_MS);
  });
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const server = createServer(handler);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const upstreamPort = await listen(upstream);
const pool = new Agent({ connections: 512, keepAliveTimeout: 30_000 });
const proxyPort = await listen((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.once('end', () => {
    pool
      .request({
        origin: `http://127.0.0.1:${upstreamPort}`,
        path: req.url ?? '/',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: String(req.headers.authorization ?? ''),
        },
        body: Buffer.concat(chunks),
      })
      .then((response) => {
        res.writeHead(response.statusCode, {
          'content-type': String(response.headers['content-type'] ?? ''),
        });
        pipeline(response.body, res, () => undefined);
      })
      .catch(() => {
        res.writeHead(502).end();
      });
  });
});
console.log(JSON.stringify({ upstream: upstreamPort, proxy: proxyPort }));
