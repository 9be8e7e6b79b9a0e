import assert from 'node:assert/strict';
import {
  deliverSignal,
  diskFullSignal,
  quotaHitSignal,
  sleepNowSignal,
  touchSignal,
  wakeUpdate,
} from '../../workflows/shared.js';
import { envelope } from './fake-world.js';
import { runTenant, useWorkflowSuite } from './harness.js';

const MINUTE = 60_000;

describe('tenant workflow: waking and sleeping', function () {
  // Time-skipping tests take seconds; a loaded 2-core CI machine has stretched single ones past 30 s.
  this.timeout(60_000);
  const suite = useWorkflowSuite();

  it('when the tenant is asleep, a deliver signal wakes it and the message is delivered exactly once', async () => {
    await runTenant(suite.env, suite.bundle, {}, async (t) => {
      await t.phase('asleep');
      await t.handle.signal(deliverSignal, envelope('u1'));
      const d = await t.until((x) => x.deliveredCount === 1, 'delivery');
      assert.equal(d.phase, 'running');
      assert.deepEqual(
        t.world.delivered.map((e) => e.dedupeId),
        ['u1'],
      );
      assert.equal(t.world.count('deliver u1'), 1);
      assert.equal(t.world.count('launch'), 1);
      assert.equal(t.world.endpoint, d.pod!.endpoint);
    });
  });

  it('a wake update returns the pod endpoint once the agent is ready', async () => {
    await runTenant(suite.env, suite.bundle, {}, async (t) => {
      const pod = await t.handle.executeUpdate(wakeUpdate);
      assert.equal(pod.podId, `${t.tenantId}-1`);
      assert.equal((await t.describe()).phase, 'running');
      assert.deepEqual(
        await t.handle.executeUpdate(wakeUpdate),
        pod,
        'waking a running tenant returns the same pod',
      );
    });
  });

  it('an idle timeout of exactly one minute puts the tenant to sleep after one minute, with a final snapshot before the pod stops', async () => {
    await runTenant(suite.env, suite.bundle, { settings: { idleTimeoutMs: MINUTE } }, async (t) => {
      await t.handle.executeUpdate(wakeUpdate);
      await suite.env.sleep(MINUTE - 2_000);
      assert.equal((await t.describe()).phase, 'running', 'still running just before the deadline');
      await suite.env.sleep(3_000);
      const d = await t.phase('asleep');
      const events = t.world.events;
      assert.ok(events.indexOf('snapshot 1') < events.indexOf(`stop ${t.tenantId}-1`), events.join(', '));
      // The stop's drain snapshot (2, taken after the agent stopped) is what the stop activity records.
      assert.equal(d.lastSnapshot?.seq, 2);
      assert.equal(t.world.pointer, 2, 'registry pointer advanced to the drain snapshot');
      assert.equal(t.world.endpoint, null, 'endpoint cleared');
      assert.equal(t.world.usage.length, 1, 'active time recorded');
    });
  });

  it('active seconds per day: when today’s are used up the tenant sleeps with the reason recorded, buffers messages, and wakes for them the next UTC day', async () => {
    await runTenant(suite.env, suite.bundle, { settings: { idleTimeoutMs: 60 * MINUTE } }, async (t) => {
      t.world.quotas = { activeSecondsPerDay: 120 };
      t.world.activeMsToday = MINUTE; // an earlier wake today used one of the two minutes
      t.world.quotaHits = [{ kind: 'tokensPerDay', lastAt: '2030-01-01T10:00:00.000Z', limit: 5, hits: 2 }];
      await t.handle.executeUpdate(wakeUpdate);
      await suite.env.sleep(50_000);
      assert.equal((await t.describe()).phase, 'running', 'within the minute left');
      await suite.env.sleep(15_000);
      await t.continuedAsNew(); // before the next query: the sleep to the next UTC day needs time skipping intact
      const rested = await t.phase('asleep');
      const until = /quota: active seconds per day used up; asleep until (\S+)/.exec(
        rested.reason ?? '',
      )?.[1];
      assert.ok(until && until.endsWith('T00:00:00.000Z'), `reason: ${rested.reason}`);
      assert.ok(t.world.usage.length >= 1, 'the active time was recorded');
      const metadata = await t.handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      assert.match(
        metadata.currentDetails ?? '',
        /reason: quota: active seconds per day used up/,
        'in the Web UI',
      );
      assert.match(metadata.currentDetails ?? '', /quota hit today: tokensPerDay \(limit 5\)/);

      await t.handle.signal(deliverSignal, envelope('while-resting'));
      await suite.env.sleep(5_000);
      const waiting = await t.describe();
      assert.equal(waiting.phase, 'asleep', 'a message does not wake it today');
      assert.equal(waiting.bufferedMessages, 1);
      assert.equal(t.world.count('launch'), 1);

      t.world.activeMsToday = 0; // a new day
      await suite.env.sleep(Date.parse(until) - (await suite.env.currentTimeMs()) + 1_000);
      const next = await t.until((x) => x.deliveredCount === 1, 'delivery the next day');
      assert.equal(next.phase, 'running');
      assert.equal(next.reason, null, 'the quota reason is cleared');
    });
  });

  it('a quota hit signalled by the gateway shows in the Web UI at once, asleep or awake, and wakes nothing', async () => {
    await runTenant(suite.env, suite.bundle, {}, async (t) => {
      const details = async () =>
        (await t.handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ??
        '';
      assert.doesNotMatch(await details(), /quota hit/);
      await t.handle.signal(quotaHitSignal, {
        kind: 'tokensPerDay',
        limit: 7,
        at: '2030-01-01T10:00:00.000Z',
      });
      await t.until(() => true, 'the signal handled'); // a query after the signal is answered after it
      assert.match(
        await details(),
        /quota hit today: tokensPerDay \(limit 7\), last at 2030-01-01T10:00:00\.000Z/,
        'in the Web UI',
      );
      assert.equal((await t.describe()).phase, 'asleep', 'a refusal wakes no one');
      assert.equal(t.world.count('launch'), 0);
    });
  });

  it('a full disk reported by the runtime is the running tenant’s reason until its reserve is held again; an older pod’s report is ignored', async () => {
    await runTenant(suite.env, suite.bundle, {}, async (t) => {
      const pod = await t.handle.executeUpdate(wakeUpdate);
      await t.handle.signal(diskFullSignal, `${t.tenantId}-0`, 'an older pod');
      assert.equal((await t.until(() => true, 'the signal handled')).reason, null, 'not the current pod');
      await t.handle.signal(diskFullSignal, pod.podId, 'the agent filled its budget');
      const full = await t.until((x) => x.reason !== null, 'the reason set');
      assert.equal(full.reason, 'disk full: the agent filled its budget');
      assert.equal(full.phase, 'running', 'it keeps running');
      const metadata = await t.handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      assert.match(
        metadata.currentDetails ?? '',
        /reason: disk full: the agent filled its budget/,
        'in the Web UI',
      );
      await t.handle.signal(diskFullSignal, pod.podId, null);
      await t.until((x) => x.reason === null, 'the reason cleared once the reserve is held again');
    });
  });

  it('a touch moves the lazy idle deadline without re-arming the timer', async () => {
    await runTenant(suite.env, suite.bundle, { settings: { idleTimeoutMs: MINUTE } }, async (t) => {
      await t.handle.executeUpdate(wakeUpdate);
      await suite.env.sleep(40_000);
      await t.handle.signal(touchSignal);
      await suite.env.sleep(40_000);
      assert.equal((await t.describe()).phase, 'running', '80 s after wake but only 40 s after the touch');
      await suite.env.sleep(25_000);
      await t.phase('asleep');
    });
  });

  it('when the agent is busy at the idle deadline, the deadline is extended instead of draining', async () => {
    await runTenant(suite.env, suite.bundle, { settings: { idleTimeoutMs: MINUTE } }, async (t) => {
      t.world.agent = { inFlightRuns: 1, lastActiveAt: null, nextScheduledAt: null };
      await t.handle.executeUpdate(wakeUpdate);
      await suite.env.sleep(MINUTE + 5_000);
      await t.until(() => t.world.count('activity') >= 1, 'the busy check');
      assert.equal((await t.describe()).phase, 'running');
      t.world.agent = { inFlightRuns: 0, lastActiveAt: null, nextScheduledAt: null };
      await suite.env.sleep(MINUTE);
      await t.phase('asleep');
    });
  });

  it('at the idle deadline, a job due within the wake lead keeps the tenant up until it has run', async () => {
    await runTenant(suite.env, suite.bundle, { settings: { idleTimeoutMs: MINUTE } }, async (t) => {
      await t.handle.executeUpdate(wakeUpdate);
      // At the idle deadline (a minute from now) the job is 30 s away: within the 1-minute lead.
      const dueAt = (await suite.env.currentTimeMs()) + MINUTE + 30_000;
      t.world.agent = { inFlightRuns: 0, lastActiveAt: null, nextScheduledAt: new Date(dueAt).toISOString() };
      await suite.env.sleep(MINUTE + 5_000);
      await t.until(() => t.world.count('activity') >= 1, 'the idle check');
      assert.equal((await t.describe()).phase, 'running', 'kept up for the job');
      t.world.agent = { inFlightRuns: 0, lastActiveAt: null, nextScheduledAt: null }; // the one-shot ran and is gone
      await suite.env.sleep(MINUTE);
      const asleep = await t.phase('asleep');
      assert.equal(asleep.nextScheduledAt, null);
      assert.equal(t.world.count('launch'), 1, 'not put to sleep and woken again for the job');
    });
  });

  it('a scheduled job wakes a sleeping tenant shortly before it is due, with no message', async () => {
    await runTenant(suite.env, suite.bundle, {}, async (t) => {
      await t.handle.executeUpdate(wakeUpdate);
      const dueAt = (await suite.env.currentTimeMs()) + 2 * 3_600_000;
      t.world.agent = { inFlightRuns: 0, lastActiveAt: null, nextScheduledAt: new Date(dueAt).toISOString() };
      await t.handle.signal(sleepNowSignal);
      await t.continuedAsNew(); // before any query: the long sleep below needs time skipping intact
      const asleep = await t.phase('asleep');
      assert.equal(asleep.nextScheduledAt, new Date(dueAt).toISOString());
      t.world.agent = { inFlightRuns: 0, lastActiveAt: null, nextScheduledAt: null };
      await suite.env.sleep(dueAt - (await suite.env.currentTimeMs()) - 2 * MINUTE);
      assert.equal((await t.describe()).phase, 'asleep', 'two minutes before the job');
      await suite.env.sleep(MINUTE + 5_000);
      const d = await t.phase('running');
      assert.equal(d.deliveredCount, 0);
      assert.equal(d.nextScheduledAt, null);
      assert.equal(t.world.count('launch'), 2);
    });
  });

  it('a capacity eviction (sleepNow) is declined while a turn runs, and honoured once the agent is idle', async () => {
    await runTenant(suite.env, suite.bundle, {}, async (t) => {
      await t.handle.executeUpdate(wakeUpdate);
      // The waker picked this tenant while it looked idle; the delivery landed since.
      t.world.agent = { inFlightRuns: 1, lastActiveAt: null, nextScheduledAt: null };
      await t.handle.signal(
        sleepNowSignal,
        'put to sleep to make room: host full and b is waking',
        'if-idle',
      );
      const declined = await t.until(
        (d) => /declined to sleep/.test(d.reason ?? ''),
        'the eviction declined',
      );
      assert.equal(declined.phase, 'running');
      assert.equal(t.world.count('stop'), 0, 'the running turn was not cut off');
      t.world.agent = { inFlightRuns: 0, lastActiveAt: null, nextScheduledAt: null };
      await t.handle.signal(
        sleepNowSignal,
        'put to sleep to make room: host full and c is waking',
        'if-idle',
      );
      const asleep = await t.phase('asleep');
      assert.match(asleep.reason ?? '', /host full and c is waking/);
    });
  });

  it("an operator's sleep waits for the running turn to end, then drains (not declined, not cut off)", async () => {
    await runTenant(suite.env, suite.bundle, {}, async (t) => {
      await t.handle.executeUpdate(wakeUpdate);
      t.world.agent = { inFlightRuns: 1, lastActiveAt: null, nextScheduledAt: null };
      await t.handle.signal(sleepNowSignal, 'operator: maintenance'); // no mode: the client's after-turn sleep
      const waiting = await t.until(
        (d) => /waiting for the running turn/.test(d.reason ?? ''),
        'the sleep waiting',
      );
      assert.equal(waiting.phase, 'running');
      await suite.env.sleep(20_000); // several looks at the agent while the turn still runs
      assert.equal((await t.describe()).phase, 'running', 'the running turn was not cut off');
      assert.equal(t.world.count('stop'), 0);
      t.world.agent = { inFlightRuns: 0, lastActiveAt: null, nextScheduledAt: null };
      await suite.env.sleep(6_000);
      await t.phase('asleep');
      assert.equal(t.world.count('stop'), 1);
    });
  });

  it("an operator's sleep waits at most 10 minutes for a turn that never ends, then drains", async () => {
    await runTenant(suite.env, suite.bundle, { settings: { idleTimeoutMs: 60 * MINUTE } }, async (t) => {
      await t.handle.executeUpdate(wakeUpdate);
      t.world.agent = { inFlightRuns: 1, lastActiveAt: null, nextScheduledAt: null }; // hung for good
      await t.handle.signal(sleepNowSignal, 'operator: maintenance', 'after-turn');
      await t.until((d) => /waiting for the running turn/.test(d.reason ?? ''), 'the sleep waiting');
      await suite.env.sleep(9 * MINUTE);
      assert.equal((await t.describe()).phase, 'running', 'still waiting after 9 minutes');
      await suite.env.sleep(2 * MINUTE);
      await t.phase('asleep');
    });
  });

  it('takes a snapshot every interval while running and advances the registry pointer', async () => {
    await runTenant(suite.env, suite.bundle, { settings: { snapshotIntervalMs: 5 * MINUTE } }, async (t) => {
      await t.handle.executeUpdate(wakeUpdate);
      await suite.env.sleep(5 * MINUTE + 1_000);
      await t.until((d) => d.lastSnapshot?.seq === 1, 'first periodic snapshot');
      await suite.env.sleep(5 * MINUTE);
      await t.until((d) => d.lastSnapshot?.seq === 2, 'second periodic snapshot');
      assert.equal(t.world.pointer, 2);
      assert.equal((await t.describe()).phase, 'running');
    });
  });

  it('messages delivered while the tenant is waking are buffered and delivered once, in order', async () => {
    await runTenant(suite.env, suite.bundle, {}, async (t) => {
      let release!: () => void;
      t.world.launchGate = new Promise((resolve) => (release = resolve));
      await t.handle.signal(deliverSignal, envelope('m1'));
      await t.phase('waking');
      await t.handle.signal(deliverSignal, envelope('m2'));
      await t.handle.signal(deliverSignal, envelope('m3'));
      await t.handle.signal(deliverSignal, envelope('m2')); // a redelivery from the router
      assert.equal((await t.describe()).bufferedMessages, 3);
      release();
      await t.until((d) => d.deliveredCount === 3 && d.bufferedMessages === 0, 'three deliveries');
      assert.deepEqual(
        t.world.delivered.map((e) => e.dedupeId),
        ['m1', 'm2', 'm3'],
      );
      assert.equal(t.world.count('deliver'), 3, 'each message handed over once');
    });
  });

  it('overflowing the buffer by count or by bytes is counted and visible in describe', async () => {
    const settings = { buffer: { maxMessages: 2, maxBytes: 1_000 } };
    await runTenant(suite.env, suite.bundle, { settings }, async (t) => {
      let release!: () => void;
      t.world.launchGate = new Promise((resolve) => (release = resolve));
      await t.handle.signal(deliverSignal, envelope('big', 2_000));
      await t.handle.signal(deliverSignal, envelope('a'));
      await t.handle.signal(deliverSignal, envelope('b'));
      await t.handle.signal(deliverSignal, envelope('c'));
      const d = await t.until((x) => x.overflowCount === 2, 'two overflows');
      assert.equal(d.bufferedMessages, 2);
      release();
      await t.until((x) => x.deliveredCount === 2, 'the buffered two delivered');
      assert.deepEqual(
        t.world.delivered.map((e) => e.dedupeId),
        ['a', 'b'],
      );
    });
  });
});
