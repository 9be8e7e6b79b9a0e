/**
 * The egress keeper: the host end of every sandbox's egress (egress.ts) in a
 * process of its own, one per data dir, so a worker that dies takes no
 * tenant's way out with it. While the worker restarts, awake sandboxed
 * tenants keep calling the model gateway, replying on Telegram and saving
 * snapshots; the next worker's runtime finds the keeper already serving
 * their sockets (an `open` of what it serves changes nothing).
 *
 * It holds no durable fact and decides nothing: the runtime opens and closes
 * each sandbox's egress over a control socket (`<dataDir>/egress-keeper/`,
 * root only, HTTP). It never outlives the stack: once the runtime's heartbeat
 * is older than the adoption window (no runtime), it stays only while tenant
 * processes still run (their self-drain uploads the final snapshot through it)
 * and at most LINGER_MS; the end of the stack (local/release-tenants.ts)
 * ends it too. A second keeper that takes over the control socket ends this one.
 */
import { statSync } from 'node:fs';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import type { Logger } from '../../common/logger.js';
import { processesMentioning } from '../process-sweep.js';
import { EgressProxy, type EgressRoute } from './egress.js';
import { guardOf, type SnapshotGuardSpec } from './snapshot-egress.js';

/** What the runtime asks the keeper to serve for one sandbox. */
export interface EgressOpening {
  /** The sandbox's egress dir (bound into the sandbox); one socket per route in it. */
  readonly dir: string;
  readonly routes: readonly EgressRoute[];
  readonly guards: readonly SnapshotGuardSpec[];
}

export interface EgressKeeperOptions {
  readonly controlSocket: string;
  /** The runtime's heartbeat (common/runtime-heartbeat.ts) and the adoption window. */
  readonly heartbeatFile: string;
  readonly windowMs: number;
  /** Processes whose environment names this path are tenants (process-sweep.ts). */
  readonly tenantsDir: string;
  readonly logger: Logger;
}

const CHECK_MS = 2_000;
/** With no runtime, the longest the keeper waits for tenants still draining (a drain's grace, and then some). */
const LINGER_MS = 120_000;

export class EgressKeeper {
  private readonly served = new Map<string, { key: string; proxy: EgressProxy }>();
  /** Opens and closes of one dir, one after another. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private server: Server | undefined;
  private timer: NodeJS.Timeout | undefined;
  private socketIno = 0;
  private staleSince: number | undefined;
  private resolveDone!: () => void;
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

  constructor(private readonly options: EgressKeeperOptions) {}

  async start(): Promise<void> {
    const { controlSocket } = this.options;
    await mkdir(dirname(controlSocket), { recursive: true, mode: 0o700 });
    await rm(controlSocket, { force: true }); // an earlier keeper's, dead (the runtime found none answering)
    const server = createServer((request, response) => {
      this.handle(request, response).catch((err: unknown) => {
        this.options.logger.warn({ err }, 'control request failed');
        if (!response.headersSent) response.writeHead(500);
        response.end((err as Error).message);
      });
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(controlSocket, resolve));
    await chmod(controlSocket, 0o600);
    this.socketIno = statSync(controlSocket).ino;
    this.server = server;
    this.timer = setInterval(() => void this.checkLifetime(), CHECK_MS);
  }

  /** Serves `opening`; the same dir with the same routes and guards is left as it is (an adoption). */
  open(opening: EgressOpening): Promise<void> {
    const key = JSON.stringify([opening.routes, opening.guards]);
    return this.queued(opening.dir, async () => {
      const current = this.served.get(opening.dir);
      if (current?.key === key) return;
      await current?.proxy.close();
      const onRefused = (err: Error) =>
        this.options.logger.warn({ err: err.message, dir: opening.dir }, 'sandbox egress refused');
      const proxy = new EgressProxy(opening.dir, opening.routes, onRefused, opening.guards.map(guardOf));
      this.served.delete(opening.dir);
      await proxy.start();
      this.served.set(opening.dir, { key, proxy });
      this.options.logger.info({ dir: opening.dir, routes: opening.routes.length }, 'egress open');
    });
  }

  close(dir: string): Promise<void> {
    return this.queued(dir, async () => {
      const current = this.served.get(dir);
      this.served.delete(dir);
      await current?.proxy.close();
      if (current) this.options.logger.info({ dir }, 'egress closed');
    });
  }

  async stop(why: string): Promise<void> {
    if (!this.server) return;
    const server = this.server;
    this.server = undefined;
    clearInterval(this.timer);
    this.options.logger.info({ why, sandboxes: this.served.size }, 'egress keeper stopping');
    await Promise.all([...this.served.values()].map(({ proxy }) => proxy.close()));
    this.served.clear();
    server.close();
    if (this.ownsControlSocket()) await rm(this.options.controlSocket, { force: true });
    this.resolveDone();
  }

  /**
   * Another keeper serves the same socket paths now: exit without closing
   * anything, since closing a unix socket server unlinks its path, which is
   * the new keeper's socket now.
   */
  private leave(): void {
    this.options.logger.warn('another keeper took over the control socket; leaving');
    clearInterval(this.timer);
    this.server = undefined;
    this.resolveDone();
  }

  private queued(dir: string, work: () => Promise<void>): Promise<void> {
    const next = (this.queues.get(dir) ?? Promise.resolve()).catch(() => undefined).then(work);
    this.queues.set(dir, next);
    return next;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const route = `${request.method} ${request.url}`;
    if (route === 'GET /healthz') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ pid: process.pid, sandboxes: [...this.served.keys()] }));
      return;
    }
    const body = await readBody(request);
    switch (route) {
      case 'PUT /egress':
        await this.open(JSON.parse(body) as EgressOpening);
        break;
      case 'DELETE /egress':
        await this.close((JSON.parse(body) as { dir: string }).dir);
        break;
      case 'POST /stop':
        response.writeHead(204).end();
        await this.stop('asked by the runtime');
        return;
      default:
        response.writeHead(404).end();
        return;
    }
    response.writeHead(204).end();
  }

  /** Ends the keeper once no runtime and no tenant needs it, or once another keeper took its place. */
  private async checkLifetime(): Promise<void> {
    if (!this.ownsControlSocket()) return this.leave();
    if (heartbeatAge(this.options.heartbeatFile) <= this.options.windowMs) {
      this.staleSince = undefined;
      return;
    }
    this.staleSince ??= Date.now();
    const tenants = await processesMentioning(this.options.tenantsDir);
    if (tenants.length === 0) return this.stop('no runtime and no tenant left');
    if (Date.now() - this.staleSince > LINGER_MS) return this.stop('no runtime; tenants still running');
  }

  private ownsControlSocket(): boolean {
    try {
      return statSync(this.options.controlSocket).ino === this.socketIno;
    } catch {
      return false;
    }
  }
}

function heartbeatAge(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return Infinity; // removed: the stack has ended (release-tenants.ts)
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  request.setEncoding('utf8');
  for await (const chunk of request) body += chunk as string;
  return body;
}
