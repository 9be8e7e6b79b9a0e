import assert from 'node:assert/strict';
import { deliverSignal, wakeUpdate } from '../../workflows/shared.js';
import { envelope, FakeWorld } from './fake-world.js';
import { runTenant, uniqueTenantId, useWorkflowSuite } from './harness.js';

const MINUTE = 60_000;

/** A world with the paused tier on, whose agent reports `rssMb` against a 600 MB limit. */
function worldAt(rssMb: number): FakeWorld {
  const world = new FakeWorld(uniqueTenantId('m'));
  world.deepSleepAfterMs = 30 * MINUTE;
  world.agent = { ...world.agent, memory: { rssMb, limitMb: 600 } };
  return world;
}

describe('tenant workflow: recycling an idle tenant over its memory limit', function () {
  this.timeout(60_000);
  const suite = useWorkflowSuite();
  const settings = { idleTimeoutMs: MINUTE };

  it('an idle tenant over its limit takes its final snapshot and is stopped, not paused, with the reason in the Web UI; the next message relaunches it', async () => {
    await runTenant(suite.env, suite.bundle, { world: worldAt(601), settings }, async (t) => {
      await t.handle.executeUpdate(wakeUpdate);
      await suite.env.sleep(MINUTE + 1_000);
      const d = await t.phase('asleep');
      const pod = `${t.tenantId}-1`;
      const events = t.world.events;
      assert.equal(t.world.count('pause'), 0, 'a paused pod would keep the memory');
      assert.ok(
        events.indexOf('snapshot 1') >= 0 && events.indexOf('snapshot 1') < events.indexOf(`stop ${pod}`),
        events.join(', '),
      );
      assert.ok((d.lastSnapshot?.seq ?? 0) >= 1, 'its state is in a snapshot');
      assert.match(d.reason ?? '', /^recycled: rss 601 MB over the tier's 600 MB limit/);
      const metadata = await t.handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      assert.match(metadata.currentDetails ?? '', /recycled: rss 601 MB/);

      t.world.agent = { ...t.world.agent, memory: { rssMb: 300, limitMb: 600 } };
      await t.handle.signal(deliverSignal, envelope('after-recycle'));
      const after = await t.until((x) => x.deliveredCount === 1, 'delivery after the recycle');
      assert.equal(after.phase, 'running');
      assert.equal(after.pod?.podId, `${t.tenantId}-2`, 'a fresh pod');
      assert.equal(t.world.count('launch'), 2);
    });
  });

  it('an idle tenant within its limit (or with no limit) is paused as before', async () => {
    for (const world of [
      worldAt(600),
      (() => {
        const w = worldAt(5000);
        w.agent = { ...w.agent, memory: { rssMb: 5000, limitMb: 0 } };
        return w;
      })(),
    ]) {
      await runTenant(suite.env, suite.bundle, { world, settings }, async (t) => {
        await t.handle.executeUpdate(wakeUpdate);
        await suite.env.sleep(MINUTE + 1_000);
        const d = await t.phase('paused');
        assert.equal(t.world.count('stop'), 0);
        assert.doesNotMatch(d.reason ?? '', /recycled/);
      });
    }
  });
});
