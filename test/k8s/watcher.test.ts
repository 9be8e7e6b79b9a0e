/**
 * The pod watcher against a real API server: losses reach `onPodLost` within
 * about a second, pods stopped on purpose stay quiet (orphans are the worker's: worker/orphan-sweep.ts, tested in the runtime contract).
 */
import { strict as assert } from 'node:assert';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { KubernetesRuntime } from '../../k8s/kube-runtime.js';
import { mergePatch } from '../../k8s/pods.js';
import { PodWatcher } from '../../k8s/pod-watcher.js';
import {
  freshNamespace,
  kubeCluster,
  podSpec,
  quietLogger,
  testOptions,
  testPlan,
  uniqueTenant,
} from './fixture.js';
import { startBreakableProxy } from './breakable-proxy.js';
import { TestKubelet } from './test-kubelet.js';

interface Lost {
  tenantId: string;
  podId: string;
  reason: string;
  at: number;
}

describe('pod watcher: podLost within about a second', function () {
  this.timeout(60_000);
  let core: CoreV1Api;
  let namespace: string;
  let kubelet: TestKubelet;
  let runtime: KubernetesRuntime;
  let watcher: PodWatcher;
  const lost: Lost[] = [];

  before(async function () {
    this.timeout(40 * 60_000);
    const { kubeConfig } = await kubeCluster();
    core = kubeConfig.makeApiClient(CoreV1Api);
    namespace = await freshNamespace(kubeConfig, 'watch');
    kubelet = new TestKubelet(kubeConfig, namespace);
    await kubelet.start();
    runtime = new KubernetesRuntime({
      kubeConfig,
      options: testOptions(namespace),
      plan: testPlan,
      logger: quietLogger,
    });
    watcher = new PodWatcher({
      kubeConfig,
      namespace,
      logger: quietLogger,
      events: {
        podLost: (tenantId, podId, reason) => {
          lost.push({ tenantId, podId, reason, at: Date.now() });
          return Promise.resolve();
        },
      },
      resyncMs: 3_600_000, // tests call resync() themselves
    });
    await watcher.start();
  });
  after(async () => {
    await watcher?.stop();
    await kubelet?.stop();
  });

  async function lostFor(podId: string, withinMs: number): Promise<Lost> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const hit = lost.find((l) => l.podId === podId);
      if (hit) return hit;
      assert.ok(Date.now() < deadline, `podLost for ${podId} within ${withinMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('a pod deleted out from under a running tenant is reported within 2 s', async function () {
    const spec = podSpec(uniqueTenant(), 1);
    await runtime.launch(spec);
    const start = Date.now();
    await core.deleteNamespacedPod({ name: spec.podId, namespace });
    const hit = await lostFor(spec.podId, 2_000);
    assert.equal(hit.tenantId, spec.tenantId);
    console.log(`      podLost after ${hit.at - start} ms (${hit.reason})`);
  });

  it('a claimed warm pod whose container restarts (it comes back warm, without its tenant) is reported', async function () {
    const spec = podSpec(uniqueTenant(), 1);
    await runtime.launch(spec);
    const patch = { name: spec.podId, namespace };
    await core.patchNamespacedPod(
      { ...patch, body: { metadata: { labels: { 'clawfleet.io/pool': 'claimed' } } } },
      mergePatch,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(lost.filter((l) => l.podId === spec.podId).length, 0, 'claimed and running: not lost');
    const pod = await core.readNamespacedPod(patch);
    const [status] = pod.status!.containerStatuses!;
    await core.patchNamespacedPodStatus(
      { ...patch, body: { status: { containerStatuses: [{ ...status, restartCount: 1 }] } } },
      mergePatch,
    );
    const hit = await lostFor(spec.podId, 2_000);
    assert.match(hit.reason, /restarted/);
  });

  it('a crashed pod (phase Failed) is reported within 2 s, once', async function () {
    const spec = podSpec(uniqueTenant(), 1);
    await runtime.launch(spec);
    const start = Date.now();
    await kubelet.crash(spec.podId);
    const hit = await lostFor(spec.podId, 2_000);
    assert.match(hit.reason, /Failed/);
    console.log(`      podLost after ${hit.at - start} ms (${hit.reason})`);
    await watcher.resync();
    assert.equal(lost.filter((l) => l.podId === spec.podId).length, 1, 'reported once');
  });

  it('a pod stopped through the runtime is not reported', async function () {
    const spec = podSpec(uniqueTenant(), 1);
    const handle = await runtime.launch(spec);
    await runtime.stop(handle, { graceMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(lost.filter((l) => l.podId === spec.podId).length, 0);
  });

  it('a watch cut by a network failure restarts with backoff and still reports a pod deleted meanwhile', async function () {
    const { kubeConfig, server } = await kubeCluster();
    const proxy = await startBreakableProxy({ host: '127.0.0.1', port: Number(new URL(server).port) });
    const viaProxy = new KubeConfig();
    viaProxy.loadFromOptions({
      clusters: [{ name: 'proxy', server: `https://127.0.0.1:${proxy.port}`, skipTLSVerify: true }],
      users: [{ name: 'admin', token: kubeConfig.getCurrentUser()!.token! }],
      contexts: [{ name: 'proxy', cluster: 'proxy', user: 'admin' }],
      currentContext: 'proxy',
    });
    const seen: string[] = [];
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    const flaky = new PodWatcher({
      kubeConfig: viaProxy,
      namespace,
      logger,
      events: { podLost: (_tenantId, podId) => Promise.resolve(void seen.push(podId)) },
      resyncMs: 3_600_000,
      maxBackoffMs: 1_000,
    });
    await flaky.start();
    try {
      const spec = podSpec(uniqueTenant(), 1);
      await runtime.launch(spec);
      await proxy.cut();
      await core.deleteNamespacedPod({ name: spec.podId, namespace });
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // a few failed restarts
      assert.ok(!seen.includes(spec.podId), 'nothing can be seen while the watch is down');
      await proxy.restore();
      assert.ok(
        warnings.some((w) => w.includes('pod watch failed; restarting')),
        'the restart path ran',
      );
      const deadline = Date.now() + 5_000;
      while (!seen.includes(spec.podId)) {
        assert.ok(Date.now() < deadline, 'reported within 5 s of the network coming back');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await flaky.stop();
      await proxy.close();
    }
  });
});
