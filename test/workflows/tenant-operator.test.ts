import assert from 'node:assert/strict';
import {
  configureUpdate,
  deliverSignal,
  offboardUpdate,
  restoreSnapshotUpdate,
  resumeUpdate,
  sleepNowSignal,
  suspendUpdate,
  wakeUpdate,
} from '../../workflows/shared.js';
import { envelope } from './fake-world.js';
import { rejectedUpdate, runTenant, useWorkflowSuite } from './harness.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

describe('tenant workflow: operator updates', function () {
  // Time-skipping tests take seconds; a loaded 2-core CI machine has stretched single ones past 30 s.
  this.timeout(60_000);
  const suite = useWorkflowSuite();

  it('suspending a running tenant drains it (final snapshot, then stop) and then refuses messages and wakes', async () => {
    await runTenant(suite.env, suite.bundle, {}, async (t) => {
      await t.handle.executeUpdate(wakeUpdate);
      assert.equal(await t.handle.executeUpdate(suspendUpdate, { args: ['unpaid invoice'] }), 'suspended');
      const events = t.world.events;
      assert.ok(
        events.indexOf('snapshot 1') >= 0 &&
          events.indexOf('snapshot 1') < events.indexOf(`stop ${t.tenantId}-1`),
        events.join(', '),
      );
      // The workflow is the one writer of the registry status, and writes it before draining.
      assert.ok(events.indexOf('status suspended') < events.indexOf('snapshot 1'), events.join(', '));
      assert.equal(t.world.status, 'suspended');
      const d = await t.describe();
      assert.equal(d.reason, 'unpaid invoice');
      assert.equal(d.pod, null);
      await t.handle.signal(deliverSignal, envelope('late'));
      assert.equal((await t.describe()).bufferedMessages, 0, 'a suspended tenant buffers nothing');
      await rejectedUpdate(t.handle.executeUpdate(wakeUpdate), /cannot wake a tenant that is suspended/);
    });
  });

  it('resume returns a suspended tenant to asleep, and the next message wakes it', async () => {
    await runTenant(suite.env, suite.bundle, {}, async (t) => {
      await t.phase('asleep');
      await t.handle.executeUpdate(suspendUpdate, { args: ['abuse report'] });
      assert.equal(t.world.status, 'suspended');
      assert.equal(await t.handle.executeUpdate(resumeUpdate), 'asleep');
      await t.until(() => t.world.status === 'active', 'the registry status back to active');
      assert.deepEqual(
        t.world.events.filter((e) => e.startsWith('status')),
        ['status suspended', 'status active'],
      );
      await t.handle.signal(deliverSignal, envelope('after-resume'));
      await t.until((d) => d.phase === 'running' && d.deliveredCount === 1, 'delivery after resume');
    });
  });

  it('validators reject bad updates before they enter history', async () => {
    await runTenant(suite.env, suite.bundle, {}, async (t) => {
      await t.phase('asleep');
      await rejectedUpdate(
        t.handle.executeUpdate(configureUpdate, { args: [{ idleTimeoutMs: 1_000 }] }),
        /idleTimeoutMs must be an integer between 60000/,
      );
      await rejectedUpdate(
        t.handle.executeUpdate(configureUpdate, { args: [{ tier: 'gold' as never }] }),
        /tier must be one of/,
      );
      await rejectedUpdate(
        t.handle.executeUpdate(configureUpdate, { args: [{ openclawVersion: 'latest' }] }),
        /not a release version/,
      );
      await rejectedUpdate(
        t.handle.executeUpdate(configureUpdate, { args: [{ replicas: 3 } as never] }),
        /unknown setting/,
      );
      await rejectedUpdate(t.handle.executeUpdate(suspendUpdate, { args: [''] }), /a reason is required/);
      await rejectedUpdate(t.handle.executeUpdate(resumeUpdate), /cannot resume a tenant that is asleep/);
      await rejectedUpdate(
        t.handle.executeUpdate(offboardUpdate, { args: [{ graceDays: -1 }] }),
        /graceDays/,
      );
      const history = await t.handle.fetchHistory();
      const accepted = history.events?.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes) ?? [];
      assert.equal(accepted.length, 0, 'no rejected update was recorded');
    });
  });

  it('configure changes settings and a shorter idle timeout applies to the running tenant at once', async () => {
    await runTenant(suite.env, suite.bundle, {}, async (t) => {
      await t.handle.executeUpdate(wakeUpdate);
      const settings = await t.handle.executeUpdate(configureUpdate, {
        args: [{ idleTimeoutMs: MINUTE, tier: 'pro', openclawVersion: '2026.2.1' }],
      });
      assert.equal(settings.tier, 'pro');
      assert.equal((await t.describe()).settings.idleTimeoutMs, MINUTE);
      await suite.env.sleep(MINUTE + 2_000);
      await t.phase('asleep');
      await t.handle.executeUpdate(wakeUpdate);
      assert.ok(
        t.world.events.includes(`launch ${t.tenantId}-2 from 2`),
        'the next wake restores the last snapshot (the drain snapshot its stop returned)',
      );
    });
  });

  it('an offboard dry run reports what would be deleted and changes nothing', async () => {
    await runTenant(suite.env, suite.bundle, {}, async (t) => {
      await t.handle.executeUpdate(wakeUpdate);
      await t.handle.executeUpdate(suspendUpdate, { args: ['closing account'] });
      const plan = await t.handle.executeUpdate(offboardUpdate, { args: [{ graceDays: 30, dryRun: true }] });
      assert.equal(plan.dryRun, true);
      assert.deepEqual(
        plan.snapshots.map((s) => s.seq),
        [1, 2],
        'the live final snapshot and the drain snapshot the stop returned',
      );
      assert.deepEqual(plan.secretNames, ['telegram-bot-token', 'gateway-token']);
      assert.equal(plan.registryRecord, true);
      assert.equal((await t.describe()).phase, 'suspended');
      assert.equal(t.world.count('delete'), 0);
    });
  });

  it('a real offboard drains, waits out a 30-day grace on a durable timer, then deletes the Telegram webhook, snapshots, secrets and the registry record', async () => {
    await runTenant(suite.env, suite.bundle, {}, async (t) => {
      await t.handle.executeUpdate(wakeUpdate);
      const plan = await t.handle.executeUpdate(offboardUpdate, { args: [{ graceDays: 30 }] });
      assert.equal(plan.dryRun, false);
      const d = await t.describe();
      assert.equal(d.phase, 'offboarding');
      assert.equal(plan.deleteAfter, d.deleteAfter);
      assert.ok(
        t.world.events.indexOf('snapshot 1') < t.world.events.indexOf(`stop ${t.tenantId}-1`),
        'drained first',
      );
      await suite.env.sleep(29 * DAY);
      assert.equal(t.world.count('delete'), 0, 'nothing deleted during the grace period');
      const final = await t.handle.result(); // awaiting the result lets the server skip the last day
      assert.equal(final.phase, 'deleted');
      assert.deepEqual(
        t.world.events.filter((e) => e.startsWith('delete')),
        ['delete webhooks', 'delete snapshots', 'delete secrets', 'delete registry record'],
        'the webhook goes while the bot token is still there to delete it with',
      );
      assert.equal(t.world.registryRecord, false);
    });
  });

  it('resume during the grace period cancels the offboard', async () => {
    await runTenant(suite.env, suite.bundle, {}, async (t) => {
      await t.phase('asleep');
      await t.handle.executeUpdate(offboardUpdate, { args: [{ graceDays: 7 }] });
      await suite.env.sleep(3 * DAY);
      assert.equal(await t.handle.executeUpdate(resumeUpdate), 'asleep');
      await suite.env.sleep(5 * DAY);
      assert.equal((await t.describe()).phase, 'asleep');
      assert.equal(t.world.count('delete'), 0);
    });
  });

  it('an operator restore saves the old snapshot again as the newest, records it, and the next wake starts from it', async () => {
    await runTenant(suite.env, suite.bundle, {}, async (t) => {
      await t.handle.executeUpdate(wakeUpdate);
      await rejectedUpdate(
        t.handle.executeUpdate(restoreSnapshotUpdate, { args: [1] }),
        /cannot restore a snapshot of a tenant that is running/,
      );
      await t.handle.signal(sleepNowSignal);
      const asleep = await t.phase('asleep');
      const newest = asleep.lastSnapshot!.seq;
      await rejectedUpdate(t.handle.executeUpdate(restoreSnapshotUpdate, { args: [0] }), /positive integer/);
      const restored = await t.handle.executeUpdate(restoreSnapshotUpdate, { args: [1] });
      assert.deepEqual(restored, {
        tenantId: t.tenantId,
        restoredFrom: 1,
        newSeq: newest + 1,
        phase: 'asleep',
      });
      assert.equal(t.world.pointer, newest + 1, 'recorded by the workflow activity');
      await t.handle.executeUpdate(wakeUpdate);
      assert.ok(
        t.world.events.includes(`launch ${t.tenantId}-2 from ${newest + 1}`),
        t.world.events.join(', '),
      );
    });
  });
});
