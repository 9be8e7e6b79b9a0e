import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { pickSleepCandidate } from '../../activities/sleep-candidate.js';
import { KubeDriver, type KubeDriverDeps } from '../../k8s/kube-driver.js';
import type { RuntimeDriver } from '../../runtime/driver.js';
import { PodLifecycle } from '../../runtime/pod-lifecycle.js';
import { wantedByWorkflow } from '../../worker/orphan-sweep.js';
import type { AgentPort, EndpointCache, RuntimePod, RuntimePort } from '../../activities/ports.js';
import {
  configureUpdate,
  deliverSignal,
  sleepNowSignal,
  TenantPhaseAttr,
  wakeUpdate,
} from '../../workflows/shared.js';
import { envelope, FakeWorld } from './fake-world.js';
import { runTenant, uniqueTenantId, useWorkflowSuite, type TenantTest } from './harness.js';

const MINUTE = 60_000;
const DEEP_SLEEP_MS = 30 * MINUTE;

/** A world whose worker settings turn the paused tier on. */
function pausingWorld(): FakeWorld {
  const world = new FakeWorld(uniqueTenantId('p'));
  world.deepSleepAfterMs = DEEP_SLEEP_MS;
  return world;
}

describe('tenant workflow: the paused tier', function () {
  // Time-skipping tests take seconds; a loaded 2-core CI machine has stretched single ones past 30 s.
  this.timeout(60_000);
  const suite = useWorkflowSuite();

  /** Wake, then let the idle timeout (one minute) pass: the tenant pauses. */
  async function pauseIdle(t: TenantTest): Promise<void> {
    await t.handle.executeUpdate(wakeUpdate);
    await suite.env.sleep(MINUTE + 1_000);
    await t.phase('paused');
  }

  it('an idle tenant takes its final snapshot, then is paused instead of stopped, and says so in the Web UI', async () => {
    const settings = { idleTimeoutMs: MINUTE };
    await runTenant(suite.env, suite.bundle, { world: pausingWorld(), settings }, async (t) => {
      await pauseIdle(t);
      const d = await t.describe();
      const pod = `${t.tenantId}-1`;
      const events = t.world.events;
      assert.ok(events.indexOf('snapshot 1') >= 0, events.join(', '));
      assert.ok(events.indexOf('snapshot 1') < events.indexOf(`pause ${pod}`), events.join(', '));
      assert.equal(t.world.count('stop'), 0, 'the pod is kept, frozen');
      assert.equal(d.lastSnapshot?.seq, 1, 'as durable as a sleep: the final snapshot is recorded');
      assert.equal(t.world.pointer, 1);
      assert.equal(t.world.endpoint, null, 'the hot path does not reach a frozen pod');
      assert.equal(d.pod?.podId, pod);
      assert.equal(t.world.usage.length, 1, 'the active interval ended at the pause');
      const wanted = wantedByWorkflow(suite.env.client);
      assert.equal(
        await wanted({ tenantId: t.tenantId, podId: pod, endpoint: '', state: 'paused' }),
        true,
        'no orphan',
      );
      const described = await t.handle.describe();
      assert.equal(described.typedSearchAttributes.get(TenantPhaseAttr), 'paused');
      const metadata = await t.handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      assert.match(metadata.currentDetails ?? '', /phase\*\* `paused`/);
      assert.match(metadata.currentDetails ?? '', /paused \(frozen in memory\) since .*; deep sleep at/);
    });
  });

  it('a message resumes the paused pod (no launch), publishes its endpoint again and is delivered', async () => {
    const settings = { idleTimeoutMs: MINUTE };
    await runTenant(suite.env, suite.bundle, { world: pausingWorld(), settings }, async (t) => {
      await pauseIdle(t);
      await t.handle.signal(deliverSignal, envelope('after-pause'));
      const d = await t.until((x) => x.deliveredCount === 1, 'delivery after the resume');
      const pod = `${t.tenantId}-1`;
      assert.equal(d.phase, 'running');
      assert.equal(d.pod?.podId, pod, 'the same pod, thawed');
      assert.equal(t.world.count('launch'), 1, 'no second launch');
      assert.equal(t.world.count(`resume ${pod}`), 1);
      assert.equal(t.world.endpoint, d.pod?.endpoint, 'the hot path serves it again');
      const events = t.world.events;
      assert.ok(events.indexOf(`resume ${pod}`) < events.indexOf('deliver after-pause'), events.join(', '));
      // The resume is one workflow task and one hop: thaw, delivery and endpoint in one local activity, the
      // allowance read beside it, no activity through the server and no activation between thaw and delivery.
      const history = (await t.handle.fetchHistory()).events ?? [];
      const signaled = history.findIndex((e) => e.workflowExecutionSignaledEventAttributes);
      const resumed = history.slice(signaled);
      const firstCompleted = resumed.findIndex((e) => e.workflowTaskCompletedEventAttributes);
      const nextTask = resumed.findIndex(
        (e, i) => i > firstCompleted && e.workflowTaskScheduledEventAttributes,
      );
      const commands = resumed.slice(firstCompleted + 1, nextTask < 0 ? undefined : nextTask);
      assert.deepEqual(
        commands
          .flatMap((e) => e.markerRecordedEventAttributes?.markerName ?? [])
          .filter((m) => m !== 'core_patch'),
        Array(2).fill('core_local_activity'),
        'activeAllowance and resumeAndDeliver recorded by the first task',
      );
      assert.equal(
        resumed.slice(0, firstCompleted).filter((e) => e.workflowTaskStartedEventAttributes).length,
        1,
        'one workflow task from the signal to the delivery recorded',
      );
      assert.equal(
        commands.filter((e) => e.activityTaskScheduledEventAttributes).length,
        0,
        'no activity through the server on the way',
      );
      // Idle again: it pauses again, the same pod.
      await suite.env.sleep(MINUTE + 1_000);
      await t.phase('paused');
      assert.equal(t.world.count(`pause ${pod}`), 2);
    });
  });

  it('a delivery or publish that fails on the thawed pod is done again on that pod: no cold wake, nothing lost', async () => {
    const settings = { idleTimeoutMs: MINUTE };
    await runTenant(suite.env, suite.bundle, { world: pausingWorld(), settings }, async (t) => {
      await pauseIdle(t);
      t.world.deliveryFailures = 1;
      t.world.publishFailures = 1;
      await t.handle.signal(deliverSignal, envelope('retried'));
      const d = await t.until((x) => x.deliveredCount === 1 && x.phase === 'running', 'the delivery, again');
      const pod = `${t.tenantId}-1`;
      assert.equal(d.pod?.podId, pod, 'the thawed pod serves');
      assert.equal(t.world.count('launch'), 1, 'no cold wake');
      assert.equal(
        t.world.count(`stop ${pod}`),
        0,
        'the thawed pod, which may hold the turn, is not stopped',
      );
      assert.equal(t.world.count('deliver retried'), 2, 'delivered once more after the failed one');
      assert.deepEqual(
        t.world.delivered.map((e) => e.dedupeId),
        ['retried'],
      );
      assert.equal(t.world.endpoint, d.pod?.endpoint, 'the endpoint published again');
      assert.equal(d.bufferedMessages, 0);
    });
  });

  it('after the deep-sleep timeout the paused tenant sleeps fully: pod stopped, snapshot kept, next message wakes it cold', async () => {
    const settings = { idleTimeoutMs: MINUTE };
    await runTenant(suite.env, suite.bundle, { world: pausingWorld(), settings }, async (t) => {
      await pauseIdle(t);
      await suite.env.sleep(DEEP_SLEEP_MS - 5_000);
      assert.equal((await t.describe()).phase, 'paused', 'still paused just before the timeout');
      await suite.env.sleep(10_000);
      const d = await t.phase('asleep');
      assert.equal(t.world.count(`stop ${t.tenantId}-1`), 1);
      assert.equal(t.world.pods.size, 0, 'no pod left');
      assert.equal(d.lastSnapshot?.seq, 1, 'the snapshot taken before the pause stands');
      assert.match(d.reason ?? '', /deep-sleep timeout/);
      await t.handle.signal(deliverSignal, envelope('after-deep-sleep'));
      await t.until((x) => x.deliveredCount === 1, 'delivery after a cold wake');
      assert.ok(t.world.events.includes(`launch ${t.tenantId}-2 from 1`), t.world.events.join(', '));
    });
  });

  it('a resume that fails stops the frozen pod and wakes cold from the snapshot: the message is delivered', async () => {
    const settings = { idleTimeoutMs: MINUTE };
    await runTenant(suite.env, suite.bundle, { world: pausingWorld(), settings }, async (t) => {
      await pauseIdle(t);
      t.world.resumeFailure = 'supervisor did not answer after its thaw';
      await t.handle.signal(deliverSignal, envelope('survives'));
      const d = await t.until((x) => x.deliveredCount === 1, 'delivery after the cold wake');
      const events = t.world.events;
      const order = [
        `resume ${t.tenantId}-1`,
        `stop ${t.tenantId}-1`,
        `launch ${t.tenantId}-2 from 1`,
        'deliver survives',
      ].map((e) => events.indexOf(e));
      assert.ok(
        order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]!)),
        events.join(', '),
      );
      assert.equal(d.phase, 'running');
      assert.equal(d.pod?.podId, `${t.tenantId}-2`);
      assert.match(d.reason ?? '', /resume of .* failed, waking cold/);
      assert.deepEqual(
        t.world.delivered.map((e) => e.dedupeId),
        ['survives'],
      );
    });
  });

  it('a pod thawed but failing its check after the delivery was sent to it: waking cold delivers the message again to the new pod', async () => {
    const settings = { idleTimeoutMs: MINUTE };
    await runTenant(suite.env, suite.bundle, { world: pausingWorld(), settings }, async (t) => {
      await pauseIdle(t);
      t.world.readyFailure = 'supervisor did not answer ready after its thaw';
      await t.handle.signal(deliverSignal, envelope('twice'));
      const d = await t.until((x) => x.deliveredCount === 1, 'delivery after the cold wake');
      const events = t.world.events.slice(t.world.events.indexOf(`resume ${t.tenantId}-1`));
      assert.deepEqual(
        events.filter((e) => /^(resume|stop|launch|deliver)/.test(e)),
        [
          `resume ${t.tenantId}-1`,
          'deliver twice', // sent at the thaw, beside the check that then failed: not counted
          `stop ${t.tenantId}-1`,
          `launch ${t.tenantId}-2 from 1`,
          'deliver twice', // still in the buffer: the new pod, restored from the pause's snapshot, gets it
        ],
      );
      assert.equal(d.pod?.podId, `${t.tenantId}-2`);
      assert.equal(d.bufferedMessages, 0);
      assert.match(d.reason ?? '', /resume of .* failed, waking cold/);
    });
  });

  it('configured while paused (a fleet upgrade): the next message wakes it cold on the new version, not the frozen pod', async () => {
    const settings = { idleTimeoutMs: MINUTE };
    await runTenant(suite.env, suite.bundle, { world: pausingWorld(), settings }, async (t) => {
      await pauseIdle(t);
      await t.handle.executeUpdate(configureUpdate, { args: [{ openclawVersion: '2030.1.1' }] });
      await t.handle.signal(deliverSignal, envelope('on-new-version'));
      const d = await t.until((x) => x.deliveredCount === 1, 'delivery after a cold wake');
      assert.equal(t.world.count('resume'), 0, 'the frozen pod is not resumed');
      assert.ok(t.world.events.includes(`stop ${t.tenantId}-1`), t.world.events.join(', '));
      assert.equal(d.pod?.podId, `${t.tenantId}-2`);
      assert.match(d.reason ?? '', /settings changed while paused/);
    });
  });

  it('a paused tenant asked to make room (the capacity gate) sleeps fully with the reason', async () => {
    const settings = { idleTimeoutMs: MINUTE };
    await runTenant(suite.env, suite.bundle, { world: pausingWorld(), settings }, async (t) => {
      await pauseIdle(t);
      await t.handle.signal(
        sleepNowSignal,
        'put to sleep to make room: host full and other is waking',
        'if-idle',
      );
      const d = await t.phase('asleep');
      assert.equal(t.world.count(`stop ${t.tenantId}-1`), 1);
      assert.match(d.reason ?? '', /make room/);
    });
  });

  it('a wake update (a chat request’s cold path) resumes the paused pod and returns it', async () => {
    const settings = { idleTimeoutMs: MINUTE };
    await runTenant(suite.env, suite.bundle, { world: pausingWorld(), settings }, async (t) => {
      await pauseIdle(t);
      const pod = await t.handle.executeUpdate(wakeUpdate);
      assert.equal(pod.podId, `${t.tenantId}-1`);
      assert.equal((await t.describe()).phase, 'running');
      assert.equal(t.world.count('launch'), 1);
      assert.equal(t.world.endpoint, pod.endpoint);
    });
  });

  it('the next scheduled job resumes the paused tenant its lead time before the job', async () => {
    const settings = { idleTimeoutMs: MINUTE };
    await runTenant(suite.env, suite.bundle, { world: pausingWorld(), settings }, async (t) => {
      await t.handle.executeUpdate(wakeUpdate);
      const jobAt = (await suite.env.currentTimeMs()) + 10 * MINUTE;
      t.world.agent = { inFlightRuns: 0, lastActiveAt: null, nextScheduledAt: new Date(jobAt).toISOString() };
      await suite.env.sleep(MINUTE + 1_000);
      await t.phase('paused');
      await suite.env.sleep(10 * MINUTE - MINUTE - MINUTE - 5_000); // up to shortly before the lead time
      assert.equal((await t.describe()).phase, 'paused');
      t.world.agent = { inFlightRuns: 1, lastActiveAt: null, nextScheduledAt: null }; // the job runs once thawed
      await suite.env.sleep(10_000);
      const d = await t.phase('running');
      assert.equal(t.world.count(`resume ${t.tenantId}-1`), 1);
      assert.equal(t.world.count('launch'), 1, 'thawed, not relaunched');
      assert.equal(d.nextScheduledAt, null, 'the job time is used up');
    });
  });

  it('with the paused tier off (deep sleep 0) an idle tenant sleeps at once, as before', async () => {
    const settings = { idleTimeoutMs: MINUTE };
    await runTenant(suite.env, suite.bundle, { settings }, async (t) => {
      await t.handle.executeUpdate(wakeUpdate);
      await suite.env.sleep(MINUTE + 1_000);
      await t.phase('asleep');
      assert.equal(t.world.count('pause'), 0);
    });
  });
});

describe('a runtime whose driver cannot pause (Kubernetes)', () => {
  it('answers pause with false and touches nothing; the Kubernetes driver declares it', async () => {
    const driver = { canPause: false, find: () => assert.fail('no lookup for a driver that cannot pause') };
    const runtime = new PodLifecycle(driver as unknown as RuntimeDriver, {
      replaceGraceMs: 1_000,
      logger: pino({ level: 'silent' }),
    });
    assert.equal(await runtime.pause({ podId: 'k-1', endpoint: 'http://127.0.0.9' }), false);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const kube = new KubeDriver({ kubeConfig, options: { namespace: 'n' } } as unknown as KubeDriverDeps);
    assert.equal(kube.canPause, false);
  });
});

describe('sleep candidate: paused tenants are evicted first, least recently active first', () => {
  const pod = (tenantId: string, state: RuntimePod['state'], pausedAt?: string): RuntimePod => ({
    tenantId,
    podId: `${tenantId}-1`,
    endpoint: `http://127.0.0.9/${tenantId}`,
    state,
    ...(pausedAt && { pausedAt }),
  });
  const ports = (pods: RuntimePod[]) => ({
    runtime: { capacity: () => Promise.resolve({ max: 3, waiting: 1, pods }) } as unknown as RuntimePort,
    agent: {
      activity: () =>
        Promise.resolve({ inFlightRuns: 0, lastActiveAt: '2020-01-01T00:00:00.000Z', nextScheduledAt: null }),
    } as unknown as AgentPort,
    endpoints: {
      lookup: (tenantId: string) => Promise.resolve(`http://127.0.0.9/${tenantId}`),
    } as unknown as EndpointCache,
  });

  it('picks the paused tenant paused longest ago, before an idle running one that was idle even longer', async () => {
    const chosen = await pickSleepCandidate(
      ports([
        pod('running-idle', 'ready'),
        pod('paused-late', 'paused', '2030-01-01T10:05:00.000Z'),
        pod('paused-early', 'paused', '2030-01-01T10:00:00.000Z'),
        pod('waker', 'paused', '2029-01-01T10:00:00.000Z'),
      ]),
      'waker',
    );
    assert.deepEqual(chosen, { tenantId: 'paused-early', lastActiveAt: '2030-01-01T10:00:00.000Z' });
  });

  it('with nobody paused, the least recently active idle running tenant as before', async () => {
    const chosen = await pickSleepCandidate(ports([pod('running-idle', 'ready')]), 'waker');
    assert.equal(chosen?.tenantId, 'running-idle');
  });
});
