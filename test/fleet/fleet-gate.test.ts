import assert from 'node:assert/strict';
import { emptyTally, selectTenants, tallyTenant } from '../../activities/fleet.js';
import { DEFAULT_HEALTH_GATE, type WaveHealth } from '../../workflows/fleet-contract.js';
import { checkUpgradeInput, judgeWave, waveEnds } from '../../workflows/fleet-gate.js';
import { healthy } from '../workflows/fake-fleet.js';

const health = (over: Partial<WaveHealth> = {}): WaveHealth => ({
  ...emptyTally(),
  tenants: 10,
  woke: 3,
  ...over,
});

describe('fleet upgrade decisions (pure)', () => {
  it('waves are cumulative, never empty, and end with every tenant', () => {
    assert.deepEqual(waveEnds(1000, [1, 10, 50, 100]), [10, 100, 500, 1000]);
    assert.deepEqual(waveEnds(20, [1, 10, 50, 100]), [1, 2, 10, 20]);
    assert.deepEqual(waveEnds(3, [1, 10, 50, 100]), [1, 2, 3], 'tiny fleets get fewer waves, none empty');
    assert.deepEqual(waveEnds(0, [1, 100]), []);
  });

  it('the gate fails on failed wakes, crash loops, dropped first deliveries and a worse error rate', () => {
    const gate = DEFAULT_HEALTH_GATE;
    assert.equal(judgeWave(health(), gate).pass, true);
    for (const [over, pattern] of [
      [{ failedWakes: 1 }, /1 failed wakes/],
      [{ crashLoops: 1 }, /1 crash loops/],
      [{ firstDeliveriesDropped: 2 }, /2 first deliveries/],
      [
        { delivered: 90, deliveryErrors: 10, baselineDelivered: 99, baselineDeliveryErrors: 1 },
        /10\.0 % vs 1\.0 %/,
      ],
    ] as const) {
      const verdict = judgeWave(health(over), gate);
      assert.ok(!verdict.pass && verdict.rollback, JSON.stringify(over));
      assert.match(verdict.notes.join(' '), pattern);
    }
    // Within the threshold: 4 points worse passes at the default 5.
    assert.equal(
      judgeWave(
        health({ delivered: 95, deliveryErrors: 5, baselineDelivered: 99, baselineDeliveryErrors: 1 }),
        gate,
      ).pass,
      true,
    );
    assert.equal(
      judgeWave(health({ firstDeliveriesDropped: 1 }), { ...gate, firstDeliveryAcked: false }).pass,
      true,
    );
  });

  it('too few wakes holds instead of rolling back', () => {
    const verdict = judgeWave(health({ woke: 0 }), DEFAULT_HEALTH_GATE);
    assert.ok(!verdict.pass && !verdict.rollback);
    assert.equal(judgeWave(health({ woke: 0 }), { ...DEFAULT_HEALTH_GATE, minWakes: 0 }).pass, true);
  });

  it('selection: by selector, in id order, pinned listed apart, current counted', () => {
    const rows = [
      { tenantId: 'c', tier: 'pro' as const, openclawVersion: 'old', pinned: false },
      { tenantId: 'a', tier: 'free' as const, openclawVersion: 'old', pinned: false },
      { tenantId: 'b', tier: 'free' as const, openclawVersion: 'old', pinned: true },
      { tenantId: 'd', tier: 'free' as const, openclawVersion: 'new', pinned: false },
    ];
    assert.deepEqual(selectTenants(rows, { all: true }, 'new'), {
      tenants: [
        { tenantId: 'a', previousVersion: 'old' },
        { tenantId: 'c', previousVersion: 'old' },
      ],
      pinned: ['b'],
      alreadyCurrent: 1,
    });
    assert.deepEqual(selectTenants(rows, { tier: 'pro' }, 'new').tenants, [
      { tenantId: 'c', previousVersion: 'old' },
    ]);
    assert.deepEqual(selectTenants(rows, { tenantIds: ['b', 'z'] }, 'new').pinned, ['b']);
  });

  it('tally: the new version counts from its own record, the baseline from the previous version', () => {
    const tally = emptyTally();
    tallyTenant(
      tally,
      'woke',
      { current: healthy('new', { deliveryErrors: 2 }), previous: healthy('old') },
      'new',
      'old',
    );
    tallyTenant(tally, 'asleep', { current: healthy('old', { delivered: 5 }), previous: null }, 'new', 'old');
    tallyTenant(
      tally,
      'broken',
      { current: healthy('new', { wakes: 0, failedWakes: 2, firstDelivery: 'dropped' }), previous: null },
      'new',
      'old',
    );
    tallyTenant(tally, 'gone', null, 'new', 'old');
    assert.deepEqual(
      { ...tally, failures: [...tally.failures] },
      {
        tenants: 4,
        woke: 1,
        failedWakes: 2,
        crashLoops: 0,
        crashes: 0,
        firstDeliveriesDropped: 1,
        delivered: 20,
        deliveryErrors: 2,
        baselineDelivered: 15,
        baselineDeliveryErrors: 0,
        failures: ['broken: 2 failed wakes, first delivery dropped'],
      },
    );
  });

  it('refuses impossible requests before anything starts', () => {
    const ok = { rolloutId: 'r', targetVersion: '2026.10.2', selector: { all: true as const } };
    assert.deepEqual(checkUpgradeInput(ok), []);
    assert.match(checkUpgradeInput({ ...ok, selector: { tier: 'gold' as never } }).join(), /unknown tier/);
    assert.match(checkUpgradeInput({ ...ok, selector: { tenantIds: [] } }).join(), /at least one/);
    assert.match(checkUpgradeInput({ ...ok, waves: [10, 50] }).join(), /ending at 100/);
    assert.match(checkUpgradeInput({ ...ok, gate: { observeMs: -1 } }).join(), /observeMs must be a number/);
    assert.match(
      checkUpgradeInput({ ...ok, gate: { speed: 1 } as never }).join(),
      /unknown gate setting speed/,
    );
  });
});
