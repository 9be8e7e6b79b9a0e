import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { createFleetActivities } from '../../activities/fleet.js';
import {
  abortUpgradeUpdate,
  FleetUpgradeStateAttr,
  fleetUpgradeWorkflowId,
  pauseUpgradeUpdate,
  resumeUpgradeUpdate,
  upgradeProgressQuery,
  type FleetUpgradeInput,
  type FleetUpgradeProgress,
} from '../../workflows/fleet-contract.js';
import { fleetUpgradeWorkflow } from '../../workflows/fleet-upgrade-workflow.js';
import { FakeFleet } from './fake-fleet.js';
import { useWorkflowSuite } from './harness.js';

const OLD = '2026.9.6';
const NEW = '2026.10.2';
const MINUTE = 60_000;

/** `count` tenants `t00`…, all on OLD. */
function fleetOf(count: number): FakeFleet {
  const fleet = new FakeFleet();
  for (let i = 0; i < count; i += 1) fleet.add(`t${String(i).padStart(2, '0')}`, OLD);
  return fleet;
}

describe('fleet upgrade workflow', function () {
  this.timeout(60_000);
  const suite = useWorkflowSuite();

  async function rollout(
    fleet: FakeFleet,
    input: Partial<FleetUpgradeInput>,
    body: (h: WorkflowHandle<typeof fleetUpgradeWorkflow>) => Promise<void>,
  ): Promise<void> {
    const rolloutId = `r-${randomUUID().slice(0, 8)}`;
    const taskQueue = `tq-${rolloutId}`;
    const worker = await Worker.create({
      connection: suite.env.nativeConnection,
      taskQueue,
      workflowBundle: suite.bundle,
      activities: createFleetActivities(fleet),
    });
    await worker.runUntil(async () => {
      const handle = await suite.env.client.workflow.start(fleetUpgradeWorkflow, {
        taskQueue,
        workflowId: fleetUpgradeWorkflowId(rolloutId),
        args: [
          {
            rolloutId,
            targetVersion: NEW,
            selector: { all: true },
            waves: [10, 50, 100],
            gate: { observeMs: 5 * MINUTE },
            ...input,
          },
        ],
      });
      try {
        await body(handle);
      } finally {
        await handle.terminate('test finished').catch(() => undefined);
      }
    });
  }

  /** Polls the progress (real time) until `check` holds. */
  async function until(
    handle: WorkflowHandle<typeof fleetUpgradeWorkflow>,
    check: (p: FleetUpgradeProgress) => boolean,
    what: string,
  ): Promise<FleetUpgradeProgress> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const p = await handle.query(upgradeProgressQuery);
      if (check(p)) return p;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(p)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const sets = (fleet: FakeFleet) => fleet.events.filter((e) => e.startsWith('set '));

  it('advances wave by wave while healthy: installs first, each wave judged before the next is touched', async () => {
    const fleet = fleetOf(20);
    await rollout(fleet, {}, async (handle) => {
      const result = await handle.result();
      assert.equal(result.state, 'done');
      assert.deepEqual([result.selected, result.upgraded, result.rolledBack, result.waves], [20, 20, 0, 3]);
      for (const id of fleet.tenants.keys()) assert.equal(fleet.versionOf(id), NEW);
      const e = fleet.events;
      assert.equal(e[0], 'list');
      assert.equal(e[1], `install ${NEW}`);
      // Waves of 10 %, 50 %, 100 %: 2, 8 and 10 tenants, each measured before the next wave is set.
      const firstHealth = e.findIndex((x) => x.startsWith('health'));
      assert.deepEqual(e.slice(2, firstHealth), [`set t00 ${NEW}`, `set t01 ${NEW}`]);
      const secondWaveStart = e.indexOf(`set t02 ${NEW}`);
      assert.ok(firstHealth < secondWaveStart, e.join(', '));
      assert.ok(e.indexOf('health t09') < e.indexOf(`set t10 ${NEW}`), e.join(', '));
      const described = await handle.describe();
      assert.equal(described.typedSearchAttributes.get(FleetUpgradeStateAttr), 'done');
    });
  });

  it('a failing canary rolls back only its own wave and stops the rollout', async () => {
    const fleet = fleetOf(20);
    fleet.crashing.add('t01');
    await rollout(fleet, {}, async (handle) => {
      const result = await handle.result();
      assert.equal(result.state, 'rolled-back');
      assert.equal(result.rolledBack, 2);
      assert.equal(result.upgraded, 0);
      assert.equal(result.lastHealth?.failedWakes, 1);
      assert.deepEqual(result.lastHealth?.failures, ['t01: 1 failed wakes']);
      assert.match(result.verdict.join(' '), /1 failed wakes on the new version/);
      // The canary went back to its previous version at once; nobody else was touched.
      assert.deepEqual(sets(fleet), [
        `set t00 ${NEW}`,
        `set t01 ${NEW}`,
        `set t00 ${OLD} restart resume-failed`,
        `set t01 ${OLD} restart resume-failed`,
      ]);
      for (const id of fleet.tenants.keys()) assert.equal(fleet.versionOf(id), OLD);
    });
  });

  it('a later wave that fails rolls back that wave only; earlier waves keep the new version', async () => {
    const fleet = fleetOf(20);
    fleet.crashing.add('t05');
    await rollout(fleet, {}, async (handle) => {
      const result = await handle.result();
      assert.equal(result.state, 'rolled-back');
      assert.deepEqual([result.wave, result.upgraded, result.rolledBack], [2, 2, 8]);
      assert.deepEqual(
        [...fleet.tenants.keys()].map((id) => fleet.versionOf(id)),
        [NEW, NEW, ...Array<string>(18).fill(OLD)],
      );
    });
  });

  it('pinned tenants are skipped and listed, including ones pinned after the selection', async () => {
    const fleet = fleetOf(6);
    fleet.add('p-early', OLD, { pinned: true });
    fleet.add('a-late', OLD);
    fleet.pinLater.add('a-late');
    fleet.add('current', NEW);
    await rollout(fleet, { waves: [100] }, async (handle) => {
      const result = await handle.result();
      assert.equal(result.state, 'done');
      assert.deepEqual([...result.pinned].sort(), ['a-late', 'p-early']);
      assert.equal(result.pinnedCount, 2);
      assert.equal(result.alreadyCurrent, 1);
      assert.equal(result.upgraded, 6);
      assert.equal(fleet.versionOf('p-early'), OLD);
      assert.equal(fleet.versionOf('a-late'), OLD);
      assert.ok(!sets(fleet).some((e) => / (p-early|a-late|current) /.test(e)), sets(fleet).join(', '));
    });
  });

  it('selects by tier or by tenant list', async () => {
    const fleet = fleetOf(4);
    fleet.add('pro-1', OLD, { tier: 'pro' });
    fleet.add('pro-2', OLD, { tier: 'pro' });
    await rollout(fleet, { selector: { tier: 'pro' }, waves: [100] }, async (handle) => {
      assert.equal((await handle.result()).upgraded, 2);
      assert.deepEqual(sets(fleet), [`set pro-1 ${NEW}`, `set pro-2 ${NEW}`]);
    });
    await rollout(fleet, { selector: { tenantIds: ['t03', 'nobody'] }, waves: [100] }, async (handle) => {
      assert.equal((await handle.result()).upgraded, 1);
      assert.equal(fleet.versionOf('t03'), NEW);
      assert.equal(fleet.versionOf('t02'), OLD);
    });
  });

  it('pause holds the rollout before its next wave, resume continues it', async () => {
    const fleet = fleetOf(10);
    await rollout(fleet, { gate: { observeMs: 30 * MINUTE } }, async (handle) => {
      await until(handle, (p) => p.state === 'observing' && p.wave === 1, 'wave 1 under observation');
      const paused = await handle.executeUpdate(pauseUpgradeUpdate, { args: ['change freeze'] });
      assert.equal(paused.reason, 'change freeze');
      await suite.env.sleep(31 * MINUTE); // wave 1 is judged, and then the rollout holds
      const held = await until(handle, (p) => p.state === 'paused', 'paused');
      assert.equal(held.wave, 1);
      assert.equal(held.upgraded, 1);
      assert.equal(sets(fleet).length, 1, 'no tenant of wave 2 touched while paused');
      const described = await handle.describe();
      assert.equal(described.typedSearchAttributes.get(FleetUpgradeStateAttr), 'paused');
      const resumed = await handle.executeUpdate(resumeUpgradeUpdate);
      assert.notEqual(resumed.state, 'paused');
      const result = await handle.result();
      assert.equal(result.state, 'done');
      assert.equal(result.upgraded, 10);
    });
  });

  it('abort stops the rollout: the observed wave keeps its version, later waves are never touched', async () => {
    const fleet = fleetOf(10);
    await rollout(fleet, { gate: { observeMs: 30 * MINUTE } }, async (handle) => {
      await until(handle, (p) => p.state === 'observing' && p.wave === 1, 'wave 1 under observation');
      const aborted = await handle.executeUpdate(abortUpgradeUpdate, { args: ['wrong version'] });
      assert.equal(aborted.state, 'aborted');
      assert.equal(aborted.reason, 'aborted: wrong version');
      assert.equal((await handle.result()).state, 'aborted');
      assert.deepEqual(sets(fleet), [`set t00 ${NEW}`]);
    });
  });

  it('a wave with too few wakes holds (paused) instead of passing; resume measures it again', async () => {
    const fleet = fleetOf(10);
    fleet.sleepy = true;
    await rollout(fleet, { waves: [50, 100] }, async (handle) => {
      await until(handle, (p) => p.state === 'observing', 'wave 1 under observation');
      await suite.env.sleep(6 * MINUTE);
      const held = await until(handle, (p) => p.state === 'paused', 'held for lack of wakes');
      assert.match(held.reason ?? '', /only 0 of 5 tenants woke on the new version/);
      assert.equal(sets(fleet).length, 5);
      for (const id of ['t00', 't01', 't02', 't03', 't04']) fleet.wake(id);
      fleet.sleepy = false;
      await handle.executeUpdate(resumeUpgradeUpdate);
      const result = await handle.result();
      assert.equal(result.state, 'done');
      assert.equal(result.upgraded, 10);
    });
  });

  it('refuses a rollout whose waves or target make no sense', async () => {
    const fleet = fleetOf(2);
    await rollout(fleet, { waves: [50, 20], targetVersion: 'latest' }, async (handle) => {
      await assert.rejects(handle.result(), (error: unknown) => {
        assert.ok(error instanceof WorkflowFailedError);
        assert.match(String(error.cause?.message), /not a release version.*waves must be increasing/);
        return true;
      });
      assert.deepEqual(fleet.events, []);
    });
  });
});
