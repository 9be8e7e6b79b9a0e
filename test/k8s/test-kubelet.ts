/**
 * A stand-in kubelet for a cluster without nodes: binds every pod of one
 * namespace to a fake node, waits for its Secret volume like a kubelet does,
 * checks the mounted `spec.json` is a valid supervisor spec, starts a small
 * stand-in supervisor (`/healthz`, `/readyz`, `POST /claim`) on a 127.0.0.x
 * address, and reports the pod Running and Ready with that IP. On deletion it
 * "drains" briefly, stops the listener and removes the pod (grace 0), as a
 * kubelet does after the container exits.
 */
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  makeInformer,
  type Informer,
  type KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
import { parseSpec, type SECRET_SOURCES } from '../../pod/supervisor-config.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const PORT = 8080;

interface Running {
  ip: string;
  readonly server: Server;
  claimedBy?: string;
}

export interface TestKubeletOptions {
  /** Simulated container start (image pull, VM boot, supervisor start) before Ready. @default 0 */
  readonly startDelayMs?: number;
  /** Simulated OpenClaw start inside a claimed warm pod before `/claim` answers. @default 0 */
  readonly claimDelayMs?: number;
}

export class TestKubelet {
  private readonly core: CoreV1Api;
  private informer: Informer<V1Pod> | undefined;
  private readonly running = new Map<string, Running>();
  private readonly busy = new Set<string>();
  /** The newest event of a pod that arrived while it was being handled; replayed afterwards. */
  private readonly pending = new Map<string, V1Pod>();
  private nextIp = 100;
  /** Problems seen while starting pods (bad spec, missing secret), for assertions. */
  readonly problems: string[] = [];

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly namespace: string,
    private readonly options: TestKubeletOptions = {},
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
  }

  async start(): Promise<void> {
    const namespace = this.namespace;
    this.informer = makeInformer<V1Pod>(this.kubeConfig, `/api/v1/namespaces/${namespace}/pods`, () =>
      this.core.listNamespacedPod({ namespace }),
    );
    const handle = (pod: V1Pod) => void this.sync(pod).catch((e: Error) => this.problems.push(e.message));
    this.informer.on('add', handle);
    this.informer.on('update', handle);
    this.informer.on('delete', (pod) => this.release(pod.metadata!.uid!));
    await this.informer.start();
  }

  async stop(): Promise<void> {
    await this.informer?.stop();
    for (const uid of [...this.running.keys()]) this.release(uid);
  }

  /** The container "crashes": the pod turns Failed (restartPolicy Never). */
  async crash(name: string): Promise<void> {
    const pod = await this.core.readNamespacedPod({ name, namespace: this.namespace });
    this.release(pod.metadata!.uid!);
    await this.core.patchNamespacedPodStatus(
      {
        name,
        namespace: this.namespace,
        body: {
          status: { phase: 'Failed', reason: 'Error', conditions: [{ type: 'Ready', status: 'False' }] },
        },
      },
      mergePatch,
    );
  }

  claimOf(uid: string): string | undefined {
    return this.running.get(uid)?.claimedBy;
  }

  private async sync(pod: V1Pod): Promise<void> {
    const uid = pod.metadata!.uid!;
    const name = pod.metadata!.name!;
    if (this.busy.has(uid)) {
      this.pending.set(uid, pod);
      return;
    }
    this.busy.add(uid);
    try {
      if (pod.metadata?.deletionTimestamp) {
        if (!pod.spec?.nodeName) return;
        await sleep(50); // SIGTERM → drain → exit
        this.release(uid);
        await this.core
          .deleteNamespacedPod({
            name,
            namespace: this.namespace,
            // With a body, the API server reads the options from it and ignores the query parameters.
            body: { gracePeriodSeconds: 0, preconditions: { uid } },
          })
          .catch((error: { code?: number; message?: string }) => {
            if (error.code !== 404 && error.code !== 409)
              this.problems.push(`delete ${name}: ${error.message}`);
          });
      } else if (!pod.spec?.nodeName) {
        await this.core.createNamespacedPodBinding({
          name,
          namespace: this.namespace,
          body: { metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: 'test-node' } },
        });
      } else if (pod.status?.phase === 'Pending' && !this.running.has(uid)) {
        await this.run(pod);
      }
    } finally {
      this.busy.delete(uid);
      const next = this.pending.get(uid);
      this.pending.delete(uid);
      if (next) await this.sync(next);
    }
  }

  private async run(pod: V1Pod): Promise<void> {
    const name = pod.metadata!.name!;
    const secretName = pod.spec!.volumes!.find((v) => v.secret)!.secret!.secretName!;
    const data = await this.waitForSecret(secretName);
    if (data === null) return; // the pod went away first
    const isWarm = pod.spec!.containers[0]!.args?.[0] === '--warm';
    if (!isWarm) this.checkTenantSecret(name, data);
    await sleep(this.options.startDelayMs ?? 0);
    const entry = await this.listen(pod, data['claim-token']);
    this.running.set(pod.metadata!.uid!, entry);
    const now = new Date();
    const condition = (type: string) => ({ type, status: 'True', lastTransitionTime: now });
    await this.core.patchNamespacedPodStatus(
      {
        name,
        namespace: this.namespace,
        body: {
          status: {
            phase: 'Running',
            hostIP: '127.0.0.1',
            podIP: entry.ip,
            podIPs: [{ ip: entry.ip }],
            startTime: now,
            conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map(condition),
            containerStatuses: [
              {
                name: 'agent',
                image: pod.spec!.containers[0]!.image!,
                imageID: '',
                ready: true,
                started: true,
                restartCount: 0,
                state: { running: { startedAt: now } },
              },
            ],
          },
        },
      },
      mergePatch,
    );
  }

  /** The pod's spec must be what the supervisor accepts, with its required secrets as files. */
  private checkTenantSecret(name: string, data: Record<string, string>): void {
    try {
      const spec = parseSpec(JSON.parse(data['spec.json'] ?? 'null'));
      if (spec.secretsDir !== '/etc/clawfleet') throw new Error(`secretsDir ${spec.secretsDir}`);
      for (const key of ['supervisorToken', 'gatewayToken', 'modelApiKey'] as (keyof typeof SECRET_SOURCES)[])
        if (!data[key]) throw new Error(`secret file ${key} missing`);
    } catch (error) {
      this.problems.push(`${name}: ${(error as Error).message}`);
    }
  }

  private async waitForSecret(name: string): Promise<Record<string, string> | null> {
    for (let i = 0; i < 300; i++) {
      try {
        const secret = await this.core.readNamespacedSecret({ name, namespace: this.namespace });
        return Object.fromEntries(
          Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
        );
      } catch {
        await sleep(100);
      }
    }
    return null;
  }

  private async listen(pod: V1Pod, claimToken: string | undefined): Promise<Running> {
    const entry: Running = { ip: '', server: createServer() };
    entry.server.on('request', (req, res) => {
      const send = (status: number, body: unknown) => res.writeHead(status).end(JSON.stringify(body));
      if (req.url === '/healthz' || req.url === '/readyz') return send(200, { state: 'ready' });
      if (req.method !== 'POST' || req.url !== '/claim') return send(404, {});
      if (!claimToken || req.headers.authorization !== `Bearer ${claimToken}`) return send(401, {});
      if (entry.claimedBy) return send(409, { error: 'already claimed' });
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        try {
          const parsed = JSON.parse(body) as { spec: unknown; secrets: Record<string, string> };
          const spec = parseSpec(parsed.spec);
          if (!parsed.secrets.supervisorToken) throw new Error('no supervisor token');
          entry.claimedBy = spec.tenantId;
          setTimeout(() => send(200, { state: 'ready' }), this.options.claimDelayMs ?? 0);
        } catch (error) {
          send(400, { error: (error as Error).message });
        }
      });
    });
    for (;;) {
      const ip = `127.0.0.${this.nextIp++}`;
      if (this.nextIp > 250) this.nextIp = 100;
      const ok = await new Promise<boolean>((resolve) => {
        entry.server.once('error', () => resolve(false));
        entry.server.listen(PORT, ip, () => resolve(true));
      });
      if (ok) {
        entry.ip = ip;
        return entry;
      }
      if (pod.metadata?.deletionTimestamp) throw new Error('deleted');
    }
  }

  private release(uid: string): void {
    const entry = this.running.get(uid);
    if (!entry) return;
    this.running.delete(uid);
    entry.server.closeAllConnections();
    entry.server.close();
  }
}
