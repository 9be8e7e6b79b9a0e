/**
 * A stand-in for the tenant supervisor's HTTP API (supervisor/http-api.ts) where a
 * test is about the router alone: checks the router's signature with the
 * supervisor's own check (supervisor/forward-auth.ts) for its tenant and pod, answers
 * Telegram deliveries with the durable ack and dedupes by `update_id` like
 * OpenClaw, and streams chat completions as SSE. `mode` makes it misbehave.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ForwardAuth } from '../../supervisor/forward-auth.js';

/** `endless-stream`: chat answers stream a chunk every 20 ms until the caller goes away. */
export type StandInMode = 'ok' | 'unavailable' | 'hang' | 'endless-stream';

export class StandInSupervisor {
  /** update_ids OpenClaw would have processed (each once). */
  readonly processed: number[] = [];
  /** Every delivery request that carried a valid signature, duplicates included. */
  readonly deliveries: string[] = [];
  readonly chats: string[] = [];
  /** The Idempotency-Key header of each chat request (undefined when none was sent). */
  readonly idempotencyKeys: (string | undefined)[] = [];
  /** The path of every request that carried a valid signature, whatever the mode. */
  readonly received: string[] = [];
  readonly authorizations: string[] = [];
  /** Requests refused for their signature (another pod's, a replay, a wrong tenant's). */
  refused = 0;
  mode: StandInMode = 'ok';
  /** While set, every authorized request waits for it before answering (it is recorded first). */
  private hold: Promise<void> | null = null;
  /** Endless chat streams still open. */
  openStreams = 0;
  /** Requests whose caller went away before the answer was complete (the router cancelled the forward). */
  abandoned = 0;
  private server!: Server;

  /** From now on authorized requests wait (the agent is still thinking); call the result to let them all answer. */
  holdAnswers(): () => void {
    let release!: () => void;
    this.hold = new Promise((resolve) => (release = resolve));
    return release;
  }

  private readonly auth: ForwardAuth;

  /** The supervisor of `tenant`'s pod `podId` (default generation 1, as RouterHarness publishes). */
  constructor(tenant: { tenantId: string; forwardKey: Buffer }, podId = `${tenant.tenantId}-1`) {
    this.auth = new ForwardAuth({ key: tenant.forwardKey, tenantId: tenant.tenantId, podId });
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      response.once('close', () => {
        if (!response.writableFinished) this.abandoned++;
      });
      void this.handle(request).then(
        ({ status, body, sse, endless }) => {
          if (endless) return this.streamEndlessly(response);
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

  private streamEndlessly(response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    this.openStreams++;
    let n = 0;
    const timer = setInterval(() => response.write(`data: ${JSON.stringify({ n: n++ })}\n\n`), 20);
    response.once('close', () => {
      clearInterval(timer);
      this.openStreams--;
    });
  }

  private async handle(
    request: IncomingMessage,
  ): Promise<{ status: number; body?: unknown; sse?: string[]; endless?: boolean }> {
    const body = await readBody(request);
    const sessionKey = request.headers['x-openclaw-session-key'];
    this.authorizations.push(request.headers.authorization ?? '');
    const signed = this.auth.accept(request.headers.authorization, {
      method: request.method ?? '',
      path: request.url ?? '',
      body,
      sessionKey: typeof sessionKey === 'string' ? sessionKey : undefined,
    });
    if (!signed) {
      this.refused++;
      return { status: 401, body: { code: 'UNAUTHORIZED', detail: 'unauthorized' } };
    }
    this.received.push(request.url ?? '');
    if (this.mode === 'hang') return { status: 0 };
    if (this.mode === 'unavailable') return { status: 503, body: { code: 'GATEWAY_UNAVAILABLE' } };
    if (request.url === '/deliver/telegram') {
      this.deliveries.push(body);
      if (this.hold) await this.hold;
      const updateId = (JSON.parse(body) as { update_id: number }).update_id;
      if (!this.processed.includes(updateId)) this.processed.push(updateId);
      return { status: 200, body: { accepted: 'durable' } };
    }
    if (request.url === '/v1/chat/completions') {
      this.chats.push(body);
      const key = request.headers['idempotency-key'];
      this.idempotencyKeys.push(typeof key === 'string' ? key : undefined);
      if (this.hold) await this.hold;
      if (this.mode === 'endless-stream') return { status: 200, endless: true };
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
