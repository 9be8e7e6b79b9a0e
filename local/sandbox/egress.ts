/**
 * The one egress path of a sandbox. Its network namespace has no way out
 * (netns.ts); for each destination the tenant needs (the model gateway, the
 * Telegram Bot API, the snapshot store its grant signs for) the host listens
 * on a unix socket in the sandbox's egress dir, which is bound into the
 * sandbox, and connects each connection to that destination only. Inside,
 * the supervisor (supervisor/sandbox-egress.ts) listens where the
 * destination's URL points (its IP, or a 127.1.0.x the sandbox's /etc/hosts
 * gives the name) and forwards to the socket. There is no general proxy:
 * an address not listed here has no route at all.
 *
 * A destination in a loopback, private, link-local (cloud metadata) or
 * carrier-grade NAT range is refused unless the operator's allowlist names
 * its `host:port` (local fakes in tests; a model gateway on this host).
 */
import { lookup } from 'node:dns/promises';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { BlockList, connect, createServer, isIP, type Server } from 'node:net';
import { join } from 'node:path';
import { guardedStoreServer, type SnapshotStoreGuard } from './snapshot-egress.js';

/** Where a destination is reached outside, and where the sandbox sees it inside. */
export interface EgressRoute {
  /** `host:port` as the URL names it. */
  readonly name: string;
  readonly hostname: string;
  readonly port: number;
  /** On the operator's allowlist: connected whatever range it resolves to. */
  readonly listed: boolean;
  /** The address the forwarder inside listens on (the IP itself, or 127.1.0.x for a name). */
  readonly insideAddress: string;
  /** The unix socket file name in the egress dir. */
  readonly socket: string;
}

/** What `CLAWFLEET_SANDBOX_EGRESS` tells the supervisor: listen here, forward there. */
export interface InsideForward {
  readonly host: string;
  readonly port: number;
  readonly socket: string;
}

export class EgressRefused extends Error {}

const REFUSED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, including 169.254.169.254 (cloud metadata)
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const)
  REFUSED.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::1', 128],
  ['::', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['::ffff:0:0', 96], // IPv4-mapped: checked again as IPv4 by whoever resolves it
] as const)
  REFUSED.addSubnet(net, prefix, 'ipv6');

export function isRefusedAddress(address: string): boolean {
  return REFUSED.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

function refusal(name: string, address: string): EgressRefused {
  return new EgressRefused(
    `sandbox egress to ${name} (${address}) refused: a loopback, private or link-local address; add it to CLAWFLEET_LOCAL_SANDBOX_EGRESS_ALLOW if the tenant must reach it`,
  );
}

/** Where to connect for a route now: resolved at each connection; a refused range only when listed. */
async function destination(route: EgressRoute): Promise<string> {
  const address = isIP(route.hostname)
    ? route.hostname
    : (await lookup(route.hostname, { family: 4 })).address;
  if (isRefusedAddress(address) && !route.listed) throw refusal(route.name, address);
  return address;
}

/** The routes for these URLs; throws EgressRefused for an address in a refused range not on the allowlist. */
export function egressRoutes(urls: readonly string[], allow: readonly string[]): EgressRoute[] {
  const routes = new Map<string, EgressRoute>();
  let named = 0;
  for (const raw of urls) {
    const url = new URL(raw);
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const name = `${hostname}:${port}`;
    if (routes.has(name)) continue;
    const listed = allow.includes(name);
    // A name is checked at each connection (what it resolves to then), an address right away.
    if (isIP(hostname) && isRefusedAddress(hostname) && !listed) throw refusal(name, hostname);
    const insideAddress = isIP(hostname) ? hostname : `127.1.0.${++named}`;
    routes.set(name, { name, hostname, port, listed, insideAddress, socket: `${routes.size}.sock` });
  }
  return [...routes.values()];
}

/** Where the supervisor inside listens for each route, and the socket in `dir` it forwards to. */
export function insideForwards(dir: string, routes: readonly EgressRoute[]): InsideForward[] {
  return routes.map((r) => ({ host: r.insideAddress, port: r.port, socket: join(dir, r.socket) }));
}

/** `/etc/hosts` for the sandbox: localhost, and each named destination at its inside address. */
export function hostsFileFor(routes: readonly EgressRoute[]): string {
  const named = routes.filter((r) => !isIP(r.hostname));
  return [
    '127.0.0.1 localhost',
    '::1 localhost',
    ...named.map((r) => `${r.insideAddress} ${r.hostname}`),
    '',
  ].join('\n');
}

/**
 * The host side: one unix socket per route in `dir`, each connected to its
 * destination only. It runs in the egress keeper (egress-keeper.ts), a
 * process of its own that outlives a worker restart.
 */
export class EgressProxy {
  private readonly servers: Server[] = [];

  constructor(
    readonly dir: string,
    readonly routes: readonly EgressRoute[],
    /** A connection refused (its name resolved into a refused range, or did not resolve). */
    private readonly onRefused: (err: Error) => void = () => undefined,
    /** Routes read as HTTP and checked request by request (an embedded snapshot store). */
    private readonly guards: readonly SnapshotStoreGuard[] = [],
  ) {}

  async start(): Promise<void> {
    // The same dir, not a new one: a running sandbox (one adopted after a restart) has this very dir bound.
    await mkdir(this.dir, { recursive: true, mode: 0o755 });
    for (const route of this.routes) {
      const guard = this.guards.find((g) => g.name === route.name);
      const server = guard
        ? guardedStoreServer(
            guard,
            async () => ({ address: await destination(route), port: route.port }),
            this.onRefused,
          )
        : this.pipeServer(route);
      const path = join(this.dir, route.socket);
      await rm(path, { force: true }); // an earlier runtime's socket
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(path, resolve));
      await chmod(path, 0o666); // the sandbox's uid connects; only its own sandbox sees this dir
      this.servers.push(server);
    }
  }

  /** A plain TCP pipe to the route's destination. */
  private pipeServer(route: EgressRoute): Server {
    return createServer((inside) => {
      inside.pause();
      inside.once('error', () => inside.destroy());
      destination(route).then(
        (address) => {
          // No Nagle: a request's headers and body, written apart, would wait for the destination's delayed ACK.
          const outside = connect({ port: route.port, host: address, noDelay: true });
          inside.pipe(outside).pipe(inside);
          inside.resume();
          const end = () => {
            inside.destroy();
            outside.destroy();
          };
          inside.once('close', end);
          outside.once('error', end).once('close', end);
        },
        (err: unknown) => {
          this.onRefused(err as Error);
          inside.destroy();
        },
      );
    });
  }

  forwards(): InsideForward[] {
    return insideForwards(this.dir, this.routes);
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  }
}
