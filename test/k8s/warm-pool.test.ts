/**
 * Warm pool against a real API server and controller manager: a Deployment
 * per tier fills the pool with real warm supervisors (supervisor/main.ts --warm, run
 * by the test kubelet); claims cannot both win; a claim reaches the warm
 * supervisor, the tenant's supervisor (stand-in OpenClaw) takes over and the
 * pod turns Ready; the ReplicaSet refills the pool; a refused hand-over falls
 * back to a cold pod; and warm claim → Ready is measured against cold pod →
 * Ready with the same real supervisor in both.
 */
import { strict as assert } from 'node:assert';
import { AppsV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { KubernetesRuntime } from '../../k8s/kube-runtime.js';
import { mergePatch } from '../../k8s/pods.js';
import { isClaimable, WarmPool } from '../../k8s/warm-pool.js';
import {
  freshNamespace,
  kubeCluster,
  podSpec,
  quietLogger,
  testOptions,
  testPlan,
  uniqueTenant,
} from './fixture.js';
import { STAND_IN_OPENCLAW } from './kubelet-containers.js';
import { TestKubelet } from './test-kubelet.js';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const POOL = 'clawfleet-warm-standard';

describe('warm pool', function () {
  this.timeout(180_000);
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let namespace: string;
  let kubelet: TestKubelet;
  let pool: WarmPool;
  let runtime: KubernetesRuntime;

  before(async function () {
    this.timeout(40 * 60_000);
    const { kubeConfig } = await kubeCluster();
    core = kubeConfig.makeApiClient(CoreV1Api);
    apps = kubeConfig.makeApiClient(AppsV1Api);
    namespace = await freshNamespace(kubeConfig, 'warm');
    // Cold pods run the same real supervisor (stand-in OpenClaw) as claimed warm pods: a fair comparison.
    kubelet = new TestKubelet(kubeConfig, namespace, { realSupervisors: STAND_IN_OPENCLAW });
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

  async function claimablePool(count: number): Promise<V1Pod[]> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ready = (await pool.available('standard')).filter(isClaimable);
      if (ready.length >= count) return ready;
      if (Date.now() > deadline) assert.fail(`${count} claimable warm pods (have ${ready.length})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const tokenOfPool = async () =>
    (await core.readNamespacedSecret({ name: POOL, namespace })).data!['claim-token']!;

  it('ensure: one Deployment per tier at the low PriorityClass fills the pool with warm supervisors, started but never Ready', async function () {
    await pool.ensure();
    const token = await tokenOfPool();
    // Every worker calls it at start, often together, while the controllers write status: conflicts are retried.
    await Promise.all([pool.ensure(), pool.ensure(), pool.ensure()]);
    assert.equal(await tokenOfPool(), token);
    assert.equal(Buffer.from(token, 'base64').length, 64);
    const deployment = await apps.readNamespacedDeployment({ name: POOL, namespace });
    assert.equal(deployment.spec?.replicas, 3);
    const pods = await claimablePool(3);
    for (const pod of pods) {
      assert.equal(pod.spec?.priority, -10);
      assert.equal(pod.spec?.priorityClassName, 'clawfleet-warm');
      assert.deepEqual(pod.spec?.containers[0]?.args, ['--warm', '/etc/clawfleet/warm.json']);
      assert.ok(!pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      const readyz = await fetch(`http://${pod.status!.podIP}:8080/readyz`);
      assert.equal(readyz.status, 503);
      assert.deepEqual(await readyz.json(), { state: 'warm' }, 'the real warm supervisor answers');
    }
  });

  it('five workflows claiming the same warm pod at once: exactly one wins; the ReplicaSet releases it and refills the pool', async function () {
    const [target] = await claimablePool(3);
    const name = target!.metadata!.name!;
    const results = await Promise.all(
      Array.from({ length: 5 }, () => pool.claimPod(target!, podSpec(uniqueTenant('race'), 1))),
    );
    const winners = results.filter((r) => r !== null);
    assert.equal(winners.length, 1);
    let pod = await core.readNamespacedPod({ name, namespace });
    assert.equal(
      pod.metadata?.labels?.['clawfleet.io/tenant'],
      winners[0]!.metadata?.labels?.['clawfleet.io/tenant'],
    );
    const pods = await claimablePool(3);
    assert.ok(!pods.some((p) => p.metadata?.name === name), 'a replacement, not the claimed pod');
    for (let i = 0; i < 50 && pod.metadata?.ownerReferences?.length; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      pod = await core.readNamespacedPod({ name, namespace });
    }
    assert.deepEqual(pod.metadata?.ownerReferences ?? [], [], 'released by its ReplicaSet');
    await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 });
  });

  it("launch claims a warm pod: the claim reaches its supervisor, the tenant's supervisor takes over and the pod turns Ready", async function () {
    await claimablePool(3);
    const spec = podSpec(uniqueTenant('w'), 4);
    const handle = await runtime.launch(spec);
    const [pod] = (
      await core.listNamespacedPod({ namespace, labelSelector: `clawfleet.io/tenant=${spec.tenantId}` })
    ).items;
    assert.ok(pod?.metadata?.name?.startsWith(`${POOL}-`), 'a pool pod serves the tenant');
    assert.equal(pod!.metadata!.labels?.['clawfleet.io/pool'], 'claimed');
    assert.equal(handle.endpoint, `http://${pod!.status!.podIP}:8080`);
    // The tenant's supervisor now owns the port, with the tenant's own token from the claim.
    const activity = await fetch(`${handle.endpoint}/activity`, {
      headers: { authorization: `Bearer test-supervisor-token-${spec.tenantId}` },
    });
    assert.equal(activity.status, 200);
    assert.equal((await fetch(`${handle.endpoint}/readyz`)).status, 200);
    assert.equal((await runtime.describe(handle)).state, 'ready');
    assert.deepEqual(await runtime.launch(spec), handle, 'a retried launch adopts the claimed pod');
    await runtime.stop(handle, { graceMs: 5_000 });
    assert.equal((await runtime.describe(handle)).state, 'gone');
  });

  it('measures warm claim → Ready against cold pod → Ready (same real supervisor, stand-in OpenClaw)', async function () {
    const warm: number[] = [];
    const cold: number[] = [];
    for (let i = 0; i < 5; i++) {
      await claimablePool(3);
      let start = Date.now();
      const w = await runtime.launch(podSpec(uniqueTenant('mw'), 1));
      warm.push(Date.now() - start);
      start = Date.now();
      const c = await runtime.launch(podSpec(uniqueTenant('mc'), 1, { tier: 'pro' })); // no pool for pro
      cold.push(Date.now() - start);
      await Promise.all([runtime.stop(w, { graceMs: 5_000 }), runtime.stop(c, { graceMs: 5_000 })]);
    }
    console.log(`      warm claim → Ready median ${median(warm)} ms ${JSON.stringify(warm)}`);
    console.log(`      cold pod   → Ready median ${median(cold)} ms ${JSON.stringify(cold)}`);
    assert.ok(median(warm) < median(cold), 'a claim skips pod creation and the supervisor process start');
  });

  it('a hand-over the warm supervisor refuses (wrong claim token): that pod is deleted and the launch goes cold', async function () {
    const pods = await claimablePool(3);
    const names = new Set(pods.map((p) => p.metadata!.name!));
    // Replace the pool's token: running warm pods still hold the old one and answer 401.
    const secret = await core.readNamespacedSecret({ name: POOL, namespace });
    await core.deleteNamespacedSecret({ name: POOL, namespace });
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: POOL, namespace, ownerReferences: secret.metadata!.ownerReferences! },
        data: { ...secret.data, 'claim-token': Buffer.from('not-the-pods-token').toString('base64') },
      },
    });
    const spec = podSpec(uniqueTenant('f'), 1);
    const handle = await runtime.launch(spec);
    const cold = await core.readNamespacedPod({ name: spec.podId, namespace });
    assert.equal(cold.metadata?.labels?.['clawfleet.io/pool'], undefined, 'a cold pod serves the tenant');
    const left = (await core.listNamespacedPod({ namespace })).items.filter((p) =>
      names.has(p.metadata!.name!),
    );
    const refused = left.find((p) => p.metadata?.labels?.['clawfleet.io/pool'] === 'claimed');
    assert.ok(!refused || refused.metadata?.deletionTimestamp, 'the half-claimed pod is gone or going');
    assert.equal(left.filter((p) => p.metadata?.labels?.['clawfleet.io/pool'] === 'warm').length, 2);
    await runtime.stop(handle, { graceMs: 5_000 });
  });

  it('an empty pool falls back to a cold pod', async function () {
    await apps.patchNamespacedDeployment(
      { name: POOL, namespace, body: { spec: { replicas: 0 } } },
      mergePatch,
    );
    for (let i = 0; i < 100 && (await pool.available('standard')).length > 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    const spec = podSpec(uniqueTenant('e'), 1);
    const handle = await runtime.launch(spec);
    const pod = await core.readNamespacedPod({ name: spec.podId, namespace });
    assert.equal(pod.metadata?.labels?.['clawfleet.io/pool'], undefined);
    await runtime.stop(handle, { graceMs: 5_000 });
  });
});
