/**
 * The Kubernetes runtime against a real kube-apiserver (admission, PodSecurity
 * `restricted`, RuntimeClass and Priority admission, the garbage collector),
 * with the test kubelet standing in for nodes.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { PodHandle } from '../../activities/ports.js';
import { toActivityFailure } from '../../activities/errors.js';
import { KubernetesRuntime } from '../../k8s/kube-runtime.js';
import { LABELS, tenantPod } from '../../k8s/pod-manifest.js';
import { PodWatcher } from '../../k8s/pod-watcher.js';
import { tenantPods } from '../../k8s/pods.js';
import { isClaimable, WarmPool } from '../../k8s/warm-pool.js';
import { SupervisorAgentClient } from '../../runtime/supervisor-client.js';
import {
  newestSnapshot,
  PodLostRecorder,
  runtimeContract,
  type ContractSubject,
} from '../helpers/runtime-contract.js';
import { startS3 } from '../helpers/s3.js';
import { testGrants } from '../helpers/snapshot-grants.js';
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

async function kubeSubject(prefix: string) {
  const { kubeConfig } = await kubeCluster();
  const namespace = await freshNamespace(kubeConfig, prefix);
  const kubelet = new TestKubelet(kubeConfig, namespace);
  await kubelet.start();
  const options = testOptions(namespace);
  const runtime = new KubernetesRuntime({ kubeConfig, options, plan: testPlan, logger: quietLogger });
  return { kubeConfig, namespace, kubelet, runtime, options };
}

/**
 * The contract subject: real supervisors (stand-in OpenClaw) in cold and warm
 * pods, drained through the supervisor client with the pod's own token and a
 * fresh grant to s3rver (as the worker does), and the pod watcher reporting
 * lost pods, composed as k8s/index.ts composes them for the worker.
 */
async function contractSubject(): Promise<ContractSubject> {
  const { kubeConfig } = await kubeCluster();
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const namespace = await freshNamespace(kubeConfig, 'contract');
  const kubelet = new TestKubelet(kubeConfig, namespace, { realSupervisors: STAND_IN_OPENCLAW });
  await kubelet.start();
  const s3 = await startS3('kube-contract');
  const dir = await mkdtemp(join(tmpdir(), 'clawfleet-kube-contract-'));
  const grants = await testGrants(s3, join(dir, 'master.key'));
  const options = testOptions(namespace, { warmPool: { pro: 1 } });
  const tenantOf = (handle: PodHandle) => /^(.+)-\d+$/.exec(handle.podId)![1]!;
  // testPlan resolves every tenant secret to `test-<name>-<tenantId>`.
  const supervisor = new SupervisorAgentClient({
    token: (handle) => `test-supervisor-token-${tenantOf(handle)}`,
    snapshotGrant: (handle) => grants.issuer.issue(tenantOf(handle), { latestSeq: null }),
  });
  const events = new PodLostRecorder();
  const warmPool = new WarmPool({ kubeConfig, options, plan: testPlan, logger: quietLogger });
  const runtime = new KubernetesRuntime({
    kubeConfig,
    options,
    plan: testPlan,
    logger: quietLogger,
    warmPool,
    drain: (handle, callOptions) => supervisor.drain(handle, callOptions),
  });
  const watcher = new PodWatcher({
    kubeConfig,
    namespace,
    logger: quietLogger,
    events,
  });
  await watcher.start();
  await warmPool.ensure();
  /** The pods serving `handle` (cold ones are named by pod id, claimed warm ones are labelled). */
  const podsOf = async (handle: PodHandle) =>
    (await tenantPods(core, namespace, tenantOf(handle))).filter(
      (p) => `${tenantOf(handle)}-${p.metadata?.labels?.[LABELS.generation]}` === handle.podId,
    );
  return {
    runtime,
    events,
    spec: (tenantId, generation) => podSpec(tenantId, generation),
    newTenant: () => uniqueTenant('c'),
    identity: async (handle) => {
      const [pod] = await podsOf(handle);
      return pod?.metadata?.uid ?? assert.fail(`a pod serves ${handle.podId}`);
    },
    // An eviction or a kubectl delete: the kubelet stops the container, nobody drains through the runtime.
    kill: async (handle) => {
      const [pod] = await podsOf(handle);
      assert.ok(pod, `a pod serves ${handle.podId}`);
      await core.deleteNamespacedPod({ name: pod.metadata!.name!, namespace, gracePeriodSeconds: 1 });
    },
    latestSnapshot: (tenantId) => newestSnapshot(grants.store, tenantId),
    warm: {
      spec: (tenantId, generation) => podSpec(tenantId, generation, { tier: 'pro' }),
      ready: async () => {
        const deadline = Date.now() + 60_000;
        while ((await warmPool.available('pro')).filter(isClaimable).length === 0) {
          assert.ok(Date.now() < deadline, 'a claimable warm pod within 60 s');
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      },
      claimed: async (handle) => {
        const [pod] = await podsOf(handle);
        return pod?.metadata?.labels?.[LABELS.pool] === 'claimed';
      },
    },
    cleanup: async () => {
      await watcher.stop();
      await kubelet.stop();
      assert.deepEqual(kubelet.problems, [], 'spec.json and secret files are what the supervisor accepts');
      grants.close();
      await s3.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

runtimeContract('kubernetes', contractSubject);

describe('kubernetes runtime against a real API server', function () {
  this.timeout(60_000);
  let kubeConfig: KubeConfig;
  let core: CoreV1Api;
  let namespace: string;
  let kubelet: TestKubelet;
  let runtime: KubernetesRuntime;
  let options: ReturnType<typeof testOptions>;

  before(async function () {
    this.timeout(40 * 60_000); // a fresh machine builds kube-apiserver and etcd first
    ({ kubeConfig, namespace, kubelet, runtime, options } = await kubeSubject('rt'));
    core = kubeConfig.makeApiClient(CoreV1Api);
  });
  after(() => kubelet?.stop());

  it('accepts the hardened tenant pod (PodSecurity restricted) with Kata overhead injected by the RuntimeClass', async function () {
    const spec = podSpec(uniqueTenant(), 3);
    assert.equal(tenantPod(options, spec).spec?.overhead, undefined, 'we never set overhead ourselves');
    const handle = await runtime.launch(spec);
    const pod = await core.readNamespacedPod({ name: spec.podId, namespace });
    assert.deepEqual(pod.spec?.overhead, { cpu: '250m', memory: '160Mi' });
    assert.equal(pod.spec?.runtimeClassName, 'kata-qemu');
    assert.equal(pod.spec?.priority, 1000);
    assert.equal(pod.spec?.automountServiceAccountToken, false);
    assert.equal(pod.metadata?.labels?.['clawfleet.io/tenant'], spec.tenantId);
    assert.equal(pod.metadata?.labels?.['app.kubernetes.io/name'], 'clawfleet-agent');
    const container = pod.spec.containers[0]!;
    assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
    assert.deepEqual(container.securityContext?.capabilities?.drop, ['ALL']);
    assert.ok(!container.env?.some((e) => /TOKEN|KEY|SECRET/i.test(e.name)), 'no secrets in env');
    assert.equal(handle.endpoint, `http://${pod.status!.podIP}:8080`);
    assert.deepEqual(kubelet.problems, [], 'spec.json and secret files are what the supervisor accepts');
    await runtime.stop(handle, { graceMs: 5_000 });
  });

  it('the per-pod Secret is owned by the pod and garbage-collected with it', async function () {
    const spec = podSpec(uniqueTenant(), 1);
    const handle = await runtime.launch(spec);
    const pod = await core.readNamespacedPod({ name: spec.podId, namespace });
    const secret = await core.readNamespacedSecret({ name: `${spec.podId}-secrets`, namespace });
    assert.equal(secret.metadata?.ownerReferences?.[0]?.uid, pod.metadata?.uid);
    const spec1 = JSON.parse(Buffer.from(secret.data!['spec.json']!, 'base64').toString()) as Record<
      string,
      unknown
    >;
    assert.ok(
      !JSON.stringify(spec1).includes('test-supervisor-token'),
      'secret values stay out of spec.json',
    );
    await runtime.stop(handle, { graceMs: 5_000 });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const gone = await core.readNamespacedSecret({ name: `${spec.podId}-secrets`, namespace }).then(
        () => false,
        () => true,
      );
      if (gone) break;
      assert.ok(Date.now() < deadline, 'garbage collector removed the Secret within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });

  for (const [what, override, pattern] of [
    ['a missing RuntimeClass', { runtimeClassName: 'kata-missing' }, /RuntimeClass.*kata-missing/i],
    [
      'an unknown PriorityClass',
      { priorityClassName: 'no-such-priority' },
      /PriorityClass.*no-such-priority/i,
    ],
  ] as const) {
    it(`a pod naming ${what} is rejected as a non-retryable activity failure`, async function () {
      const bad = new KubernetesRuntime({
        kubeConfig,
        options: { ...options, ...override },
        plan: testPlan,
        logger: quietLogger,
      });
      const error = await bad.launch(podSpec(uniqueTenant(), 1)).then(
        () => assert.fail('launch should fail'),
        (e: unknown) => e,
      );
      assert.match((error as Error).message, pattern);
      const failure = toActivityFailure(error);
      assert.ok(failure instanceof ApplicationFailure && failure.nonRetryable, 'non-retryable');
    });
  }

  it('describe follows the pod: ready, then gone after a crash (restartPolicy Never)', async function () {
    const spec = podSpec(uniqueTenant(), 1);
    const handle = await runtime.launch(spec);
    assert.equal((await runtime.describe(handle)).state, 'ready');
    await kubelet.crash(spec.podId);
    assert.equal((await runtime.describe(handle)).state, 'gone');
    // Relaunching the same generation replaces the failed pod instead of adopting it.
    const again = await runtime.launch(spec);
    assert.equal((await runtime.describe(again)).state, 'ready');
    await runtime.stop(again, { graceMs: 5_000 });
  });
});
