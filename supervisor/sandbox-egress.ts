/**
 * Inside a local sandbox (local/sandbox/): the tenant's network namespace
 * has no way out, so the supervisor listens where each allowed destination's
 * URL points (the model gateway, the Telegram Bot API, the snapshot store)
 * and forwards each connection to that destination's unix socket, whose
 * other end is the runtime's egress proxy on the host. OpenClaw and its
 * tools use the same URLs unchanged; every other address is unreachable.
 */
import { connect, createServer, type Server } from 'node:net';

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
        const outside = connect(socket);
        inside.pipe(outside).pipe(inside);
        const end = () => {
          inside.destroy();
          outside.destroy();
        };
        inside.once('error', end).once('close', end);
        outside.once('error', end).once('close', end);
      });
      await new Promise<void>((resolve, reject) =>
        server.once('error', reject).listen({ host, port }, resolve),
      );
      return server;
    }),
  );
}
