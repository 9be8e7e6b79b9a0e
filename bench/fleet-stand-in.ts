/**
 * Stand-in agents for `bench:fleet`: one HTTP server that answers every
 * tenant's supervisor API in milliseconds (deliveries acknowledged, activity
 * idle, snapshots and drains empty) with no OpenClaw behind it, and a runtime
 * driver whose pods all point at it. Everything above the runtime (router,
 * Temporal, worker, activities, registry, Redis) is the real thing, so what
 * the benchmark measures is clawfleet's own overhead.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  PodHandle,
  PodSpec,
  PodStatus,
  RuntimeCapacity,
  RuntimePort,
  RuntimePod,
} from '../activities/ports.js';

export class StandInAgents {
  /** update_id → first time (ms) a delivery of it reached a stand-in supervisor. */
  readonly acked = new Map<number, number>();
  deliveries = 0;
  private readonly pods = new Map<string, RuntimePod>();
  private snapshots = 0;

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
    private readonly launchMs: number,
  ) {}

  static async start(options: { launchMs?: number } = {}): Promise<StandInAgents> {
    const holder: { agents?: StandInAgents } = {};
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const answer = holder.agents!.answer(request.method ?? 'GET', request.url ?? '/', body);
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    holder.agents = new StandInAgents(server, `http://127.0.0.1:${port}`, options.launchMs ?? 5);
    return holder.agents;
  }

  private answer(method: string, url: string, body: string): unknown {
    const path = url.split('?')[0];
    if (method === 'POST' && path === '/deliver/telegram') {
      this.deliveries += 1;
      const id = (JSON.parse(body || '{}') as { update_id?: number }).update_id;
      if (typeof id === 'number' && !this.acked.has(id)) this.acked.set(id, Date.now());
      return { accepted: 'durable' };
    }
    if (path === '/activity') return { inFlightRuns: 0, lastActiveAt: null, nextScheduledAt: null };
    if (path === '/snapshot') {
      this.snapshots += 1;
      return {
        seq: this.snapshots,
        sha256: 'stand-in',
        size: 0,
        createdAt: new Date().toISOString(),
        openclawVersion: 'stand-in',
      };
    }
    if (path === '/drain') return { manifest: null };
    return { ok: true, state: 'ready', restarts: 0, recentCrashes: 0 };
  }

  /** A runtime whose pods are the stand-in: a launch takes `launchMs`, a stop keeps nothing. */
  runtime(): RuntimePort {
    return {
      launch: async (spec: PodSpec): Promise<PodHandle> => {
        await new Promise((resolve) => setTimeout(resolve, this.launchMs));
        const pod = {
          podId: spec.podId,
          endpoint: this.endpoint,
          tenantId: spec.tenantId,
          state: 'ready' as const,
        };
        this.pods.set(spec.podId, pod);
        return { podId: pod.podId, endpoint: pod.endpoint };
      },
      stop: (handle: PodHandle) => {
        this.pods.delete(handle.podId);
        return Promise.resolve(null);
      },
      describe: (handle: PodHandle): Promise<PodStatus> =>
        Promise.resolve({ podId: handle.podId, state: this.pods.has(handle.podId) ? 'ready' : 'gone' }),
      capacity: (): Promise<RuntimeCapacity> =>
        Promise.resolve({ max: null, waiting: 0, pods: [...this.pods.values()] }),
      pause: () => Promise.resolve(false), // the stand-in fleet measures wakes from sleep
      resume: (handle: PodHandle) => Promise.resolve(handle),
    };
  }

  get awake(): number {
    return this.pods.size;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
