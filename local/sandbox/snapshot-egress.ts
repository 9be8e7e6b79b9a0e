/**
 * The sandbox's egress to an embedded snapshot store, HTTP-aware.
 *
 * Every other egress route is a plain TCP pipe (egress.ts): what crosses it is
 * the destination's business. The embedded store (s3rver) checks no
 * signature, so a pipe to it would let a tenant list, read, overwrite or
 * delete every tenant's snapshots with unsigned requests. This route reads
 * each HTTP request and passes only those whose presigned SigV4 signature
 * holds (snapshots/presigned-check.ts): exactly what the tenant's grant
 * names. A store reached over TLS (real S3) is piped as usual: it checks
 * signatures itself, and the sandbox could not be read into anyway.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import {
  presignedRefusal,
  type PresignCredentials,
  type PresignedRequest,
} from '../../snapshots/presigned-check.js';

export interface SnapshotStoreGuard {
  /** `host:port` of the store as an egress route names it (egress.ts `EgressRoute.name`). */
  readonly name: string;
  /** Why a request is refused, or null when its presigned signature holds. */
  refusal(request: PresignedRequest): string | null;
}

/**
 * A guard as plain data, for the egress keeper (egress-keeper.ts) to rebuild:
 * the store's route and the credentials the control plane signs its grants
 * with (the embedded store's static pair; never a tenant's).
 */
export interface SnapshotGuardSpec {
  readonly name: string;
  readonly credentials: PresignCredentials;
}

export function guardOf(spec: SnapshotGuardSpec): SnapshotStoreGuard {
  return { name: spec.name, refusal: (request) => presignedRefusal(request, spec.credentials) };
}

const DENIED = (reason: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>refused by the sandbox egress: ${reason}</Message></Error>`;

/** An HTTP server for the route's unix socket: checked requests go on to `destination()`. */
export function guardedStoreServer(
  guard: SnapshotStoreGuard,
  destination: () => Promise<{ address: string; port: number }>,
  onRefused: (err: Error) => void,
): Server {
  return createServer((inside, answer) => {
    const reason = guard.refusal({
      method: inside.method ?? '',
      url: inside.url ?? '',
      headers: inside.headers,
    });
    if (reason !== null) {
      onRefused(new Error(`snapshot store request refused: ${reason}`));
      inside.resume(); // drain the body; the answer is the refusal
      answer.writeHead(403, { 'content-type': 'application/xml', connection: 'close' }).end(DENIED(reason));
      return;
    }
    destination().then(
      ({ address, port }) => {
        const outside = httpRequest({
          host: address,
          port,
          method: inside.method,
          path: inside.url,
          headers: inside.headers,
        });
        outside.once('response', (reply) => {
          answer.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(answer);
        });
        outside.once('error', () => answer.destroy());
        inside.once('error', () => outside.destroy());
        inside.pipe(outside);
      },
      (err: unknown) => {
        onRefused(err as Error);
        answer.destroy();
      },
    );
  });
}
