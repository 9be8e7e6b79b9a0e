/**
 * Inside a local sandbox (local/sandbox/): the tenant's network namespace
 * has no way out, so the supervisor listens where each allowed destination's
 * URL points (the model gateway, the Telegram Bot API, the snapshot store)
 * and forwards each connection to that destination's unix socket, whose
 * other end is the runtime's egress proxy on the host. OpenClaw and its
 * tools use the same URLs unchanged; every other address is unreachable.
 *
 * The host end lives in the egress keeper (local/sandbox/egress-keeper.ts),
 * a process of its own that a worker's restart does not touch. Should the
 * keeper itself die, nobody listens on the sockets until the runtime starts
 * it again (within seconds). A connection made then waits for the host end
 * instead of failing, so a model call or a Telegram reply in flight goes out
 * the moment egress is back, without OpenClaw's own retry backoff on top.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface EgressForward {
  readonly host: string;
  readonly port: number;
  readonly socket: string;
}

export async function startEgressForwards(forwards: readonly EgressForward[]): Promise<Server[]> {
  return Promise.all(
    forwards.map(async ({ host, port, socket }) => {
      // No Nagle on the TCP leg to OpenClaw: a streamed answer's small chunks would each wait for the
      // client's delayed ACK: ~40 ms per model call (bench:sandbox (m), docs/benchmarks.md).
      const server = createServer({ noDelay: true }, (inside) => {
        inside.pause();
        inside.once('error', () => inside.destroy());
        void reachHost(socket, () => inside.destroyed).then((outside) => {
          if (!outside) return inside.destroy();
          inside.pipe(outside).pipe(inside);
          inside.resume();
          const end = () => {
            inside.destroy();
            outside.destroy();
          };
          inside.once('error', end).once('close', end);
          outside.once('error', end).once('close', end);
        });
      });
      await new Promise<void>((resolve, reject) =>
        server.once('error', reject).listen({ host, port }, resolve),
      );
      return server;
    }),
  );
}

/** How long a connection waits for the host end of its socket to listen again (a keeper restart). */
const HOST_WAIT_MS = 60_000;
const HOST_RETRY_MS = 100;

/** Connected to the host end, or null once the wait is over (or the inside connection went away). */
async function reachHost(socket: string, abandoned: () => boolean): Promise<Socket | null> {
  const deadline = Date.now() + HOST_WAIT_MS;
  for (;;) {
    const attempt = await new Promise<Socket | NodeJS.ErrnoException>((resolve) => {
      const outside = connect(socket);
      outside.once('connect', () => {
        outside.removeAllListeners('error');
        resolve(outside);
      });
      outside.once('error', resolve);
    });
    if (!(attempt instanceof Error)) return attempt;
    // Refused or missing: no listener yet. Anything else will not get better by waiting.
    const waiting = attempt.code === 'ECONNREFUSED' || attempt.code === 'ENOENT';
    if (!waiting || abandoned() || Date.now() > deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, HOST_RETRY_MS));
  }
}
