/**
 * A stand-in kubelet for a cluster without nodes: binds every pod of one
 * namespace to a fake node, waits for its Secret volume like a kubelet does,
 * checks the mounted `spec.json` is a valid supervisor spec, runs a container
 * (kubelet-containers.ts: an instant stand-in, the real supervisor with real
 * OpenClaw, or for warm pool pods the real warm supervisor) on a 127.0.0.x
 * address, and reports the pod Running, its container `started` once the
 * startupProbe (if any) passes, then Ready once the readinessProbe does. On
 * deletion it sends SIGTERM, waits for the exit within the grace period and
 * removes the pod; a container that exits on its own turns the pod Failed.
 */
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
import { parseSpec } from '../../supervisor/supervisor-config.js';
import {
  realSupervisor,
  realWarmSupervisor,
  STAND_IN_OPENCLAW,
  standIn,
  type Container,
  type RealSupervisorOptions,
} from './kubelet-containers.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface TestKubeletOptions {
  /**
   * Run cold tenant pods as real supervisors with this OpenClaw instead of
   * stand-ins. Warm pods always run the real warm supervisor; once claimed it
   * starts this OpenClaw, or the supervisor tests' stand-in OpenClaw.
   */
  readonly realSupervisors?: RealSupervisorOptions;
}

export class TestKubelet {
  private readonly core: CoreV1Api;
  private informer: Informer<V1Pod> | undefined;
  private readonly running = new Map<string, Container>();
  private readonly stopping = new Set<string>();
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
    await this.informer.start();
  }

  async stop(): Promise<void> {
    await this.informer?.stop();
    for (const [uid, container] of [...this.running]) {
      this.stopping.add(uid);
      await container.stop(10_000);
    }
    this.running.clear();
  }

  /** The container "crashes": it is killed and the pod turns Failed (restartPolicy Never). */
  async crash(name: string): Promise<void> {
    const pod = await this.core.readNamespacedPod({ name, namespace: this.namespace });
    const uid = pod.metadata!.uid!;
    this.stopping.add(uid); // this exit is reported here, not by the exit watcher
    await this.running.get(uid)?.stop(0);
    this.running.delete(uid);
    await this.markFailed(pod);
  }

  private async sync(pod: V1Pod): Promise<void> {
    const uid = pod.metadata!.uid!;
    if (this.busy.has(uid)) {
      this.pending.set(uid, pod);
      return;
    }
    this.busy.add(uid);
    try {
      if (pod.metadata?.deletionTimestamp) await this.terminate(pod);
      else if (!pod.spec?.nodeName) {
        const name = pod.metadata!.name!;
        await this.core.createNamespacedPodBinding({
          name,
          namespace: this.namespace,
          body: { metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: 'test-node' } },
        });
      } else if (pod.status?.phase === 'Pending' && !this.running.has(uid)) await this.run(pod);
    } finally {
      this.busy.delete(uid);
      const next = this.pending.get(uid);
      this.pending.delete(uid);
      if (next) await this.sync(next);
    }
  }

  private async terminate(pod: V1Pod): Promise<void> {
    const uid = pod.metadata!.uid!;
    const name = pod.metadata!.name!;
    if (!pod.spec?.nodeName || this.stopping.has(uid)) return;
    this.stopping.add(uid);
    await this.running.get(uid)?.stop((pod.metadata?.deletionGracePeriodSeconds ?? 30) * 1000);
    this.running.delete(uid);
    await this.core
      .deleteNamespacedPod({
        name,
        namespace: this.namespace,
        // With a body, the API server reads the options from it and ignores the query parameters.
        body: { gracePeriodSeconds: 0, preconditions: { uid } },
      })
      .catch((error: { code?: number; message?: string }) => {
        if (error.code !== 404 && error.code !== 409) this.problems.push(`delete ${name}: ${error.message}`);
      });
  }

  private async run(pod: V1Pod): Promise<void> {
    const uid = pod.metadata!.uid!;
    const secretName = pod.spec!.volumes!.find((v) => v.secret)!.secret!.secretName!;
    const data = await this.waitForSecret(secretName);
    if (data === null) return; // the pod went away first
    const isWarm = pod.spec!.containers[0]!.args?.[0] === '--warm';
    if (!isWarm) this.checkTenantSecret(pod.metadata!.name!, data);
    const ip = `127.0.0.${this.nextIp++}`;
    if (this.nextIp > 250) this.nextIp = 100;
    const real = this.options.realSupervisors;
    const container = isWarm
      ? await realWarmSupervisor(ip, data, real ?? STAND_IN_OPENCLAW)
      : real
        ? await realSupervisor(ip, data, real)
        : await standIn(ip);
    this.running.set(uid, container);
    const startup = pod.spec!.containers[0]!.startupProbe?.httpGet?.path;
    await this.patchStatus(pod, container, { started: !startup, ready: false });
    void container.exited.then(() => this.exitedOnItsOwn(pod));
    void this.probe(pod, container, startup);
  }

  /** The startup probe sets `started`; only then does the readiness probe run (and set Ready). */
  private async probe(pod: V1Pod, container: Container, startup: string | undefined): Promise<void> {
    const uid = pod.metadata!.uid!;
    const readiness = pod.spec!.containers[0]!.readinessProbe?.httpGet?.path ?? '/';
    let started = !startup;
    while (this.running.get(uid) === container && !this.stopping.has(uid)) {
      if (!started && (await container.probe(startup!))) {
        started = true;
        await this.patchStatus(pod, container, { started, ready: false }).catch(() => undefined);
      }
      if (started && (await container.probe(readiness)))
        return this.patchStatus(pod, container, { started, ready: true }).catch(() => undefined);
      await sleep(250);
    }
  }

  private async exitedOnItsOwn(pod: V1Pod): Promise<void> {
    if (this.stopping.has(pod.metadata!.uid!)) return;
    this.running.delete(pod.metadata!.uid!);
    await this.markFailed(pod);
  }

  private async markFailed(pod: V1Pod): Promise<void> {
    await this.core
      .patchNamespacedPodStatus(
        {
          name: pod.metadata!.name!,
          namespace: this.namespace,
          body: {
            status: { phase: 'Failed', reason: 'Error', conditions: [{ type: 'Ready', status: 'False' }] },
          },
        },
        mergePatch,
      )
      .catch(() => undefined);
  }

  private async patchStatus(
    pod: V1Pod,
    container: Container,
    { started, ready }: { started: boolean; ready: boolean },
  ): Promise<void> {
    const now = new Date();
    const condition = (type: string, ok = true) => ({
      type,
      status: ok ? 'True' : 'False',
      lastTransitionTime: now,
    });
    await this.core.patchNamespacedPodStatus(
      {
        name: pod.metadata!.name!,
        namespace: this.namespace,
        body: {
          status: {
            phase: 'Running',
            hostIP: '127.0.0.1',
            podIP: container.ip,
            podIPs: [{ ip: container.ip }],
            startTime: now,
            conditions: [
              condition('PodScheduled'),
              condition('Initialized'),
              condition('ContainersReady', ready),
              condition('Ready', ready),
            ],
            containerStatuses: [
              {
                name: 'agent',
                image: pod.spec!.containers[0]!.image!,
                imageID: '',
                ready,
                started,
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
      // forwardKey: the router's signed forwards are checked with it (and podId, which names this pod).
      for (const key of ['supervisorToken', 'gatewayToken', 'modelToken', 'forwardKey'])
        if (!data[key]) throw new Error(`secret file ${key} missing`);
      if (!spec.podId) throw new Error('spec.json names no podId');
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
}
