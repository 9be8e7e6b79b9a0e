import assert from 'node:assert/strict';
import {
  deliverSignal,
  podLostSignal,
  resumeUpdate,
  sleepNowSignal,
  wakeUpdate,
} from '../../workflows/shared.js';
import { envelope } from './fake-world.js';
import { rejectedUpdate, runTenant, useWorkflowSuite } from './harness.js';

const MINUTE = 60_000;

describe('tenant workflow: crashes and continue-as-new', function () {
  // Time-skipping tests take seconds; a loaded 2-core CI machine has stretched single ones past 30 s.
  this.timeout(60_000);
  const suite = useWorkflowSuite();

  it('a lost pod is relaunched from the last snapshot after a backoff, under a new deterministic pod id', async () => {
    await runTenant(suite.env, suite.bundle, { settings: { snapshotIntervalMs: MINUTE } }, async (t) => {
      await t.handle.executeUpdate(wakeUpdate);
      await suite.env.sleep(MINUTE + 1_000);
      await t.until((d) => d.lastSnapshot?.seq === 1, 'a periodic snapshot');
      await t.handle.signal(podLostSignal, `${t.tenantId}-1`, 'out-of-memory');
      await t.until((d) => d.phase === 'waking' && d.restartCount === 1, 'backoff before relaunch');
      await suite.env.sleep(6_000);
      const d = await t.until((x) => x.phase === 'running' && x.pod?.podId === `${t.tenantId}-2`, 'relaunch');
      assert.equal(d.restartCount, 1);
      // The Web UI's current details: why it relaunched, and how the new pod is isolated.
      const { currentDetails } = await t.handle.query<{ currentDetails?: string }>(
        '__temporal_workflow_metadata',
      );
      assert.match(currentDetails ?? '', /- reason: relaunching after crash: out-of-memory/, currentDetails);
      assert.match(currentDetails ?? '', /- isolation: sandbox uid \d+: memory 3072 MiB/, currentDetails);
      assert.match(d.pod?.isolation ?? '', /^sandbox uid/, 'describe shows it too');
      // The stop of the lost pod returns what it left (the runtime's salvage, 2): recorded, then restored.
      assert.ok(t.world.events.includes(`launch ${t.tenantId}-2 from 2`), t.world.events.join(', '));
      assert.equal(t.world.pointer, 2);
    });
  });

  it('a periodic snapshot failing on a dead pod does not fail the workflow: still running, then relaunched', async () => {
    await runTenant(suite.env, suite.bundle, { settings: { snapshotIntervalMs: MINUTE } }, async (t) => {
      await t.handle.executeUpdate(wakeUpdate);
      t.world.snapshotFailure = 'fetch failed: connect ECONNREFUSED 127.0.0.2:27000';
      await suite.env.sleep(MINUTE + 5 * MINUTE); // the snapshot and all its retries fail
      const failing = await t.until(
        (d) => /periodic snapshot failed/.test(d.reason ?? ''),
        'the failure noted',
      );
      assert.equal(failing.phase, 'running', 'the tenant keeps serving');
      t.world.snapshotFailure = null;
      await t.handle.signal(podLostSignal, `${t.tenantId}-1`, 'supervisor SIGKILL');
      await suite.env.sleep(6_000);
      const d = await t.until((x) => x.phase === 'running' && x.pod?.podId === `${t.tenantId}-2`, 'relaunch');
      assert.equal(d.restartCount, 1);
      assert.equal((await t.handle.describe()).status.name, 'RUNNING');
    });
  });

  it('a podLost for an older pod generation is ignored', async () => {
    await runTenant(suite.env, suite.bundle, {}, async (t) => {
      await t.handle.executeUpdate(wakeUpdate);
      await t.handle.signal(podLostSignal, `${t.tenantId}-0`, 'stale watcher event');
      await t.handle.signal(deliverSignal, envelope('after-stale'));
      const d = await t.until((x) => x.deliveredCount === 1, 'delivery');
      assert.equal(d.restartCount, 0);
      assert.equal(d.pod?.podId, `${t.tenantId}-1`);
    });
  });

  it('three crashes within the window move the tenant to failed, with no relaunch until an operator resumes', async () => {
    await runTenant(suite.env, suite.bundle, {}, async (t) => {
      await t.handle.executeUpdate(wakeUpdate);
      for (let generation = 1; generation <= 2; generation += 1) {
        await t.handle.signal(podLostSignal, `${t.tenantId}-${generation}`, 'segfault');
        await suite.env.sleep(30_000);
        await t.until(
          (d) => d.phase === 'running' && d.generation === generation + 1,
          `relaunch ${generation + 1}`,
        );
      }
      await t.handle.signal(podLostSignal, `${t.tenantId}-3`, 'segfault');
      const failed = await t.phase('failed');
      assert.match(failed.reason ?? '', /crash loop/);
      await t.until(() => t.world.status === 'failed', 'the registry status failed');
      await suite.env.sleep(10 * MINUTE);
      assert.equal(t.world.count('launch'), 3, 'no relaunch while failed');
      await t.handle.signal(deliverSignal, envelope('while-failed'));
      assert.equal((await t.describe()).bufferedMessages, 1, 'messages are kept for after the repair');
      await rejectedUpdate(t.handle.executeUpdate(wakeUpdate), /cannot wake a tenant that is failed/);
      await t.handle.executeUpdate(resumeUpdate);
      const d = await t.until(
        (x) => x.phase === 'running' && x.deliveredCount === 1,
        'wake and delivery after resume',
      );
      assert.equal(d.recentCrashes, 0);
    });
  });

  it('a launch failing permanently moves the tenant to failed with the reason', async () => {
    await runTenant(suite.env, suite.bundle, {}, async (t) => {
      t.world.launchFailure = 'permanent';
      await rejectedUpdate(
        t.handle.executeUpdate(wakeUpdate),
        /tenant is failed: launch of .*-1 failed: no OpenClaw 2026\.9\.6/,
      );
      const d = await t.describe();
      assert.equal(d.phase, 'failed');
      assert.match(d.reason ?? '', /no OpenClaw/);
    });
  });

  it('continues as new at the sleep boundary and keeps its state', async () => {
    await runTenant(
      suite.env,
      suite.bundle,
      { settings: { buffer: { maxMessages: 1, maxBytes: 4096 } } },
      async (t) => {
        let release!: () => void;
        t.world.launchGate = new Promise((resolve) => (release = resolve));
        await t.handle.signal(deliverSignal, envelope('one'));
        await t.handle.signal(deliverSignal, envelope('two')); // overflows the one-message buffer
        release();
        await t.until((d) => d.deliveredCount === 1, 'delivery');
        const firstRunId = (await t.handle.describe()).runId;
        await t.handle.signal(sleepNowSignal);
        await t.until((x) => x.phase === 'asleep', 'asleep');
        const latest = suite.env.client.workflow.getHandle(t.handle.workflowId);
        await t.until(() => true, 'the new run'); // one more query: answered by the new run
        assert.notEqual((await latest.describe()).runId, firstRunId, 'a new run');
        const d = await t.describe();
        const first = await suite.env.client.workflow.getHandle(t.handle.workflowId, firstRunId).describe();
        assert.equal(first.status.name, 'CONTINUED_AS_NEW');
        assert.equal(d.deliveredCount, 1);
        assert.equal(d.overflowCount, 1);
        assert.equal(d.generation, 1);
        assert.equal(d.lastSnapshot?.seq, 2, 'the drain snapshot the stop returned');
        await t.handle.executeUpdate(wakeUpdate);
        assert.ok(
          t.world.events.includes(`launch ${t.tenantId}-2 from 2`),
          'the new run continues the pod generations',
        );
      },
    );
  });
});
