import assert from 'node:assert/strict';
import { deliverSignal, wakeUpdate } from '../../workflows/shared.js';
import { envelope, FakeWorld } from './fake-world.js';
import { runTenant, uniqueTenantId, useWorkflowSuite } from './harness.js';

describe('tenant workflow: a full host and the snapshots a stop returns', function () {
  // Time-skipping tests take seconds; a loaded 2-core CI machine has stretched single ones past 30 s.
  this.timeout(60_000);
  const suite = useWorkflowSuite();

  it('when nobody is idle, the waking tenant waits and looks again, and its reason says so', async () => {
    const world = new FakeWorld(uniqueTenantId('b'));
    world.atCapacity = 2;
    await runTenant(suite.env, suite.bundle, { world }, async (t) => {
      await t.handle.signal(deliverSignal, envelope('m1'));
      const waiting = await t.until(
        (d) => /every awake tenant is busy/.test(d.reason ?? ''),
        'the busy reason',
      );
      assert.equal(waiting.phase, 'waking');
      await t.until((d) => d.deliveredCount === 1, 'delivery after the host had room');
      assert.equal(t.world.count('full'), 2);
    });
  });

  it('snapshots beyond the retention are pruned after each recorded one, never the recorded one', async () => {
    await runTenant(suite.env, suite.bundle, { settings: { snapshotIntervalMs: 60_000 } }, async (t) => {
      await t.handle.executeUpdate(wakeUpdate);
      await suite.env.sleep(5 * 60_000 + 5_000);
      await t.until((d) => (d.lastSnapshot?.seq ?? 0) >= 5, 'five periodic snapshots');
      assert.deepEqual(t.world.manifests.map((m) => m.seq).slice(-3), [
        t.world.pointer! - 2,
        t.world.pointer! - 1,
        t.world.pointer!,
      ]);
      assert.ok(
        t.world.pruned.includes(1) && t.world.pruned.includes(2),
        `pruned ${t.world.pruned.join(',')}`,
      );
      assert.equal(t.world.manifests.length, 3, 'the retention (3 in these tests) holds');
    });
  });
});

// Two workers at once (one per tenant) stalled the time-skipping server in 2 of ~8 full-suite runs, and the stall
// cascaded into the next suites: this scenario runs on a dev server in real time instead.
describe('tenant workflow: a full host, with two tenants on a real-time server', function () {
  this.timeout(60_000);
  const suite = useWorkflowSuite({ realTime: true });

  it('when the host is full, the waking tenant asks the idle tenant the activity picked to sleep, says why on both, then launches', async () => {
    await runTenant(suite.env, suite.bundle, {}, async (idle) => {
      await idle.handle.executeUpdate(wakeUpdate);
      const world = new FakeWorld(uniqueTenantId('w'));
      world.atCapacity = 1;
      const findSleepCandidate = () => Promise.resolve({ tenantId: idle.tenantId, lastActiveAt: null });
      await runTenant(
        suite.env,
        suite.bundle,
        { world, activities: { findSleepCandidate } },
        async (waker) => {
          await waker.handle.signal(deliverSignal, envelope('m1'));
          const asleep = await idle.phase('asleep');
          assert.match(
            asleep.reason ?? '',
            new RegExp(`make room: host full and ${waker.tenantId} is waking`),
          );
          assert.equal(
            idle.world.count(`stop ${idle.tenantId}-1`),
            1,
            'the idle tenant drained through its own workflow',
          );
          const running = await waker.until((d) => d.deliveredCount === 1, 'the message delivered');
          assert.equal(running.phase, 'running');
          assert.equal(
            running.pod?.podId,
            `${waker.tenantId}-1`,
            'the refused launch did not use up a generation',
          );
          assert.deepEqual(
            world.events.filter((e) => /^(full|launch)/.test(e)),
            [`full ${waker.tenantId}-1`, `launch ${waker.tenantId}-1 from scratch`],
          );
          assert.equal(running.reason, null, 'the waiting reason is cleared once it runs');
        },
      );
    });
  });
});
