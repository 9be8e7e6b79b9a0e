/**
 * `POST /v1/chat/completions` on the supervisor: forwards to OpenClaw with the
 * gateway token, streaming the answer (SSE included) through unbuffered.
 * With an `Idempotency-Key` the turn goes through the chat journal
 * (chat-journal.ts): a retry gets the kept answer instead of a second run, and
 * the turn runs to its end even when the caller went away (OpenClaw cancels
 * a run whose HTTP client disconnects), so there is an answer to keep.
 */
import { PassThrough, Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { FastifyReply } from 'fastify';
import type { Logger } from '../common/logger.js';
import { problem, sendProblem } from '../common/problem.js';
import { IDEMPOTENCY_KEY, type ChatJournal, type StoredAnswer } from './chat-journal.js';
import { type Supervisor } from './supervisor.js';

type Headers = Record<string, string | string[] | undefined>;

export async function proxyChat(
  supervisor: Supervisor,
  journal: ChatJournal,
  body: string,
  headers: Headers,
  reply: FastifyReply,
  logger: Logger,
): Promise<FastifyReply> {
  const key = headers['idempotency-key'];
  if (key === undefined) return forward(supervisor, body, headers, reply);
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key))
    return sendProblem(
      reply,
      problem(400, 'IDEMPOTENCY_KEY_INVALID', 'Idempotency-Key must be 8-128 of [A-Za-z0-9_.:-]'),
    );
  let interrupted = false;
  for (;;) {
    const found = await journal.lookup(key, body);
    if (found.kind === 'answered') return replay(reply, found.answer);
    if (found.kind === 'other-request')
      return sendProblem(
        reply,
        problem(422, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different body'),
      );
    if (found.kind === 'running') {
      await found.settled; // then answered, or abandoned and free to run again
      continue;
    }
    interrupted = found.interrupted;
    break;
  }
  if (!(await gatewayReady(supervisor, reply))) return reply;
  if (interrupted) logger.warn('a chat turn cut off by a crash runs again for its retry');
  const turn = await journal.begin(key, body);
  let upstream: Response;
  try {
    upstream = await openUpstream(supervisor, body, headers);
  } catch (error) {
    await turn.abandon();
    throw error;
  }
  const contentType = upstream.headers.get('content-type');
  reply.code(upstream.status);
  passHeaders(upstream, reply);
  const out = new PassThrough();
  // In flight for /activity until OpenClaw's answer is over, whether or not the caller still listens.
  const ended = supervisor.tracker.chatStarted();
  void (async () => {
    let complete = false;
    try {
      for await (const chunk of (upstream.body ?? []) as AsyncIterable<Uint8Array>) {
        turn.append(chunk);
        if (!out.destroyed) out.write(chunk);
      }
      complete = true;
    } catch (error) {
      logger.warn({ err: error }, 'chat answer cut off upstream');
    } finally {
      ended();
      out.end();
      // Only a whole answer the agent gave is kept; a failure leaves the key free for a retry.
      await (complete && upstream.status < 500 ? turn.finish(upstream.status, contentType) : turn.abandon());
    }
  })().catch((error: unknown) => logger.error({ err: error }, 'chat answer not kept'));
  return reply.send(out);
}

function replay(reply: FastifyReply, answer: StoredAnswer): FastifyReply {
  reply.code(answer.status).header('idempotent-replayed', 'true');
  if (answer.contentType) reply.header('content-type', answer.contentType);
  return reply.send(Buffer.from(answer.body, 'base64'));
}

/** Without a key: the caller's connection carries the turn (OpenClaw cancels it when the caller goes away). */
async function forward(
  supervisor: Supervisor,
  body: string,
  headers: Headers,
  reply: FastifyReply,
): Promise<FastifyReply> {
  if (!(await gatewayReady(supervisor, reply))) return reply;
  // In flight for /activity until the response is over: sent, failed, or abandoned by the client.
  reply.raw.once('close', supervisor.tracker.chatStarted());
  const upstream = await openUpstream(supervisor, body, headers);
  reply.code(upstream.status);
  passHeaders(upstream, reply);
  if (!upstream.body) return reply.send('');
  return reply.send(Readable.fromWeb(upstream.body as WebReadableStream<Uint8Array>));
}

/**
 * How long a chat turn waits for a gateway that is coming back (a crash and
 * its restart, or the first boot) before answering 503. Waiting here answers
 * the turn the moment OpenClaw is ready; a 503 would send the caller through
 * the router's cold path and a client backoff first (seconds after ready).
 */
const CHAT_READY_WAIT_MS = 45_000;

async function gatewayReady(supervisor: Supervisor, reply: FastifyReply): Promise<boolean> {
  const comingBack = (state: string) => state === 'starting' || state === 'backoff';
  if (comingBack(supervisor.status().state) && !supervisor.isDraining)
    await supervisor.settled(CHAT_READY_WAIT_MS);
  const { state } = supervisor.status();
  if (state === 'ready' && !supervisor.isDraining) return true;
  void sendProblem(reply, problem(503, 'GATEWAY_UNAVAILABLE', `gateway is ${state}`));
  return false;
}

function openUpstream(supervisor: Supervisor, body: string, headers: Headers): Promise<Response> {
  const { baseUrl, token } = supervisor.gatewayTarget();
  const sessionKey = headers['x-openclaw-session-key'];
  return fetch(`${baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
      ...(typeof sessionKey === 'string' ? { 'x-openclaw-session-key': sessionKey } : {}),
    },
    body,
  });
}

function passHeaders(upstream: Response, reply: FastifyReply): void {
  for (const name of ['content-type', 'cache-control']) {
    const value = upstream.headers.get(name);
    if (value) reply.header(name, value);
  }
}
