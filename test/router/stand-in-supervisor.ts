/**
 * A stand-in for the tenant supervisor's HTTP API (pod/http-api.ts) where a
 * test is about the router alone: checks the bearer token, answers Telegram
 * deliveries with the durable ack and dedupes by `update_id` like OpenClaw,
 * and streams chat completions as SSE. `mode` makes it misbehave.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type StandInMode = 'ok' | 'unavailable' | 'hang';

export class StandInSupervisor {
  /** update_ids OpenClaw would have processed (each once). */
  readonly processed: number[] = [];
  /** Every delivery request that carried the right token, duplicates included. */
  readonly deliveries: string[] = [];
  readonly chats: string[] = [];
  readonly authorizations: string[] = [];
  mode: StandInMode = 'ok';
  private server!: Server;

  constructor(private readonly token: string) {}

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      void this.handle(request).then(
        ({ status, body, sse }) => {
          if (sse) {
            response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
            for (const chunk of sse) response.write(`data: ${chunk}\n\n`);
            response.end('data: [DONE]\n\n');
            return;
          }
          if (status === 0) return; // hang: never answer
          response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        },
        () => response.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(
    request: IncomingMessage,
  ): Promise<{ status: number; body?: unknown; sse?: string[] }> {
    const body = await readBody(request);
    this.authorizations.push(request.headers.authorization ?? '');
    if (request.headers.authorization !== `Bearer ${this.token}`)
      return { status: 401, body: { error: 'unauthorized' } };
    if (this.mode === 'hang') return { status: 0 };
    if (this.mode === 'unavailable') return { status: 503, body: { error: 'GATEWAY_UNAVAILABLE' } };
    if (request.url === '/deliver/telegram') {
      this.deliveries.push(body);
      const updateId = (JSON.parse(body) as { update_id: number }).update_id;
      if (!this.processed.includes(updateId)) this.processed.push(updateId);
      return { status: 200, body: { accepted: 'durable' } };
    }
    if (request.url === '/v1/chat/completions') {
      this.chats.push(body);
      const chunk = (content: string) => JSON.stringify({ choices: [{ delta: { content } }] });
      return { status: 200, sse: [chunk('Hel'), chunk('lo')] };
    }
    return { status: 404, body: { error: 'not found' } };
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
