/**
 * Warm pool against a real API server: pool pods at the low PriorityClass,
 * claims that cannot both win, launch through a claim (and cold when the pool
 * is empty), and the time a claim saves over a cold pod in this simulation.
 */
import { strict as assert } from 'node:assert';
import { CoreV1Api } from '@kubernetes/client-node';
import { KubernetesRuntime } from '../../k8s/kube-runtime.js';
import { WarmPool } from '../../k8s/warm-pool.js';
import {
  freshNamespace,
  kubeCluster,
  podSpec,
  quietLogger,
  testOptions,
  testPlan,
  uniqueTenant,
} from './fixture.js';
import { TestKubelet } from './test-kubelet.js';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('warm pool', function () {
  this.timeout(120_000);
  let core: CoreV1Api;
  let namespace: string;
  let kubelet: TestKubelet;
  let pool: WarmPool;
  let runtime: KubernetesRuntime;

  before(async function () {
    this.timeout(40 * 60_000);
    const { kubeConfig } = await kubeCluster();
    core = kubeConfig.makeApiClient(CoreV1Api);
    namespace = await freshNamespace(kubeConfig, 'warm');
    kubelet = new TestKubelet(kubeConfig, namespace);
    await kubelet.start();
    const options = testOptions(namespace, { warmPool: { standard: 3 } });
    pool = new WarmPool({ kubeConfig, options, plan: testPlan, logger: quietLogger });
    runtime = new KubernetesRuntime({
      kubeConfig,
      options,
      plan: testPlan,
      logger: quietLogger,
      warmPool: pool,
    });
  });
  after(() => kubelet?.stop());

  async function readyPool(count: number) {
    for (let i = 0; i < 200; i++) {
      const ready = (await pool.available('standard')).filter(
        (p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
      );
      if (ready.length >= count) return ready;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.fail(`${count} warm pods ready`);
  }

  it('reconcile fills each tier to its size with low-priority pods, each with its own claim token', async function () {
    assert.deepEqual(await pool.reconcile(), { created: 3, deleted: 0 });
    assert.deepEqual(await pool.reconcile(), { created: 0, deleted: 0 });
    const pods = await readyPool(3);
    for (const pod of pods) {
      assert.equal(pod.spec?.priority, -10);
      assert.equal(pod.spec?.priorityClassName, 'clawfleet-warm');
      const secret = await core.readNamespacedSecret({ name: `${pod.metadata!.name}-secrets`, namespace });
      assert.equal(Buffer.from(secret.data!['claim-token']!, 'base64').length, 64);
    }
  });

  it('five workflows claiming the same warm pod at once: exactly one wins', async function () {
    const [target] = await readyPool(1);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => pool.claimPod(target!, podSpec(uniqueTenant('race'), 1))),
    );
    const winners = results.filter((r) => r !== null);
    assert.equal(winners.length, 1);
    const pod = await core.readNamespacedPod({ name: target!.metadata!.name!, namespace });
    assert.equal(
      pod.metadata?.labels?.['clawfleet.io/tenant'],
      winners[0]!.metadata?.labels?.['clawfleet.io/tenant'],
    );
    await core.deleteNamespacedPod({ name: target!.metadata!.name!, namespace, gracePeriodSeconds: 0 });
  });

  it('launch claims a warm pod, hands it the tenant over POST /claim, and stop finds it by labels', async function () {
    await pool.reconcile();
    await readyPool(3);
    const spec = podSpec(uniqueTenant('w'), 4);
    const handle = await runtime.launch(spec);
    const [claimed] = (
      await core.listNamespacedPod({ namespace, labelSelector: `clawfleet.io/tenant=${spec.tenantId}` })
    ).items;
    assert.ok(claimed, 'the tenant has a pod');
    const pod = claimed;
    assert.ok(pod.metadata?.name?.startsWith('warm-standard-'), 'a pool pod serves the tenant');
    assert.equal(pod.metadata?.labels?.['clawfleet.io/pool'], 'claimed');
    assert.equal(kubelet.claimOf(pod.metadata.uid!), spec.tenantId);
    assert.equal(handle.endpoint, `http://${pod.status!.podIP}:8080`);
    assert.equal((await runtime.describe(handle)).state, 'ready');
    assert.deepEqual(await runtime.launch(spec), handle, 'a retried launch adopts the claimed pod');
    await runtime.stop(handle, { graceMs: 5_000 });
    assert.equal((await runtime.describe(handle)).state, 'gone');
  });

  it('measures a warm claim against a cold pod in this simulated cluster', async function () {
    const warm: number[] = [];
    const cold: number[] = [];
    for (let i = 0; i < 5; i++) {
      await pool.reconcile();
      await readyPool(3);
      let start = Date.now();
      const w = await runtime.launch(podSpec(uniqueTenant('mw'), 1));
      warm.push(Date.now() - start);
      start = Date.now();
      const c = await runtime.launch(podSpec(uniqueTenant('mc'), 1, { tier: 'pro' })); // no pool for pro
      cold.push(Date.now() - start);
      await Promise.all([runtime.stop(w, { graceMs: 5_000 }), runtime.stop(c, { graceMs: 5_000 })]);
    }
    console.log(`      warm claim median ${median(warm)} ms ${JSON.stringify(warm)}`);
    console.log(`      cold pod   median ${median(cold)} ms ${JSON.stringify(cold)}`);
    assert.ok(median(warm) < median(cold), 'a claim is faster than creating, binding and starting a pod');
  });

  it('an empty pool falls back to a cold pod', async function () {
    for (const pod of await pool.available('standard'))
      await core.deleteNamespacedPod({ name: pod.metadata!.name!, namespace, gracePeriodSeconds: 0 });
    const spec = podSpec(uniqueTenant('e'), 1);
    const handle = await runtime.launch(spec);
    const pod = await core.readNamespacedPod({ name: spec.podId, namespace });
    assert.equal(pod.metadata?.labels?.['clawfleet.io/pool'], undefined);
    await runtime.stop(handle, { graceMs: 5_000 });
  });
});
