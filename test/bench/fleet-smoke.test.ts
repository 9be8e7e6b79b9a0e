/**
 * `bench:fleet` in small (bench/fleet-run.ts): a few hundred tenants through
 * the admin API and one minute of wakes through the router, with stand-in
 * agents, so the harness cannot rot. The full run is `npm run bench:fleet`
 * (docs/benchmarks.md); the bounds here are loose on purpose (a loaded CI
 * machine), except that no accepted update may be lost.
 */
import assert from 'node:assert/strict';
import { runFleetBench } from '../../bench/fleet-run.js';

describe('bench:fleet smoke: 200 tenants, one minute of wakes with stand-in agents', function () {
  this.timeout(600_000);

  it('registers every tenant, holds the wake rate, and loses no delivery', async () => {
    const result = await runFleetBench({ tenants: 200, wakesPerMinute: 180, minutes: 1, hotPerSecond: 2 });
    console.log(
      `      onboarding ${result.onboardingPerSecond}/s; wakes ${result.wakesPerMinute}/min; wake-to-ack p50 ${result.wakeOverheadP50Ms} ms, p99 ${result.wakeOverheadP99Ms} ms; hot p99 ${result.hot.p99} ms; ${result.historyEventsPerWake} history events per wake (${result.historyEventsToAck} to the ack)`,
    );
    assert.equal(result.tenants, 200);
    assert.equal(result.lost, 0, 'every update the router accepted reached a stand-in');
    assert.equal(result.refused, 0);
    assert.ok(result.wakesPerMinute >= 150, `wake rate held: ${result.wakesPerMinute}/min`);
    assert.ok(result.hot.n > 0, 'hot-path traffic reached awake tenants');
    assert.ok(result.wakeOverheadP99Ms < 15_000, `wake-to-ack p99 ${result.wakeOverheadP99Ms} ms`);
    assert.ok(result.historyEventsPerWake > 0);
    // The breakdown reads the woken workflows' histories: a wake acked within its launch's completion task
    // (launch, then endpoint, allowance and delivery as local activities) is ~10 events; the remote steps took ~23.
    assert.ok(result.breakdown.samples > 0, 'wakes were broken down');
    assert.ok(
      result.historyEventsToAck <= 14,
      `${result.historyEventsToAck} history events from signal to ack`,
    );
  });
});
