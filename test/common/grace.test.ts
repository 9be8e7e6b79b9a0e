import { strict as assert } from 'node:assert';
import { loadConfig } from '../../common/config.js';
import { graceChain } from '../../common/grace.js';
import { kubeOptionsFromConfig } from '../../k8s/options.js';

describe('the stop grace chain: one setting, every stop deadline', function () {
  it('each outer deadline holds the one inside it, for any grace', function () {
    for (const stopGraceMs of [3_000, 10_000, 30_000, 120_000, 600_000]) {
      const g = graceChain(stopGraceMs);
      assert.ok(g.openclawStopMs + g.snapshotReserveMs <= g.supervisorDrainMs, `${stopGraceMs}: drain`);
      assert.ok(g.snapshotReserveMs > 0 && g.openclawStopMs > 0, `${stopGraceMs}: both parts get time`);
      assert.ok(g.supervisorDrainMs < g.runtimeStopMs, `${stopGraceMs}: the runtime outwaits the drain`);
      assert.ok(
        g.runtimeStopMs < g.podTerminationSeconds * 1000,
        `${stopGraceMs}: the kubelet outwaits the runtime`,
      );
    }
    assert.throws(() => graceChain(1_000), RangeError);
  });

  it('CLAWFLEET_STOP_GRACE takes effect in the pod termination grace (the supervisor spec: test/worker)', function () {
    const options = kubeOptionsFromConfig(loadConfig({ CLAWFLEET_STOP_GRACE: '2m' }));
    const chain = graceChain(120_000);
    assert.equal(options.terminationGraceSeconds, chain.podTerminationSeconds);
    assert.equal(
      kubeOptionsFromConfig(loadConfig({})).terminationGraceSeconds,
      graceChain(30_000).podTerminationSeconds,
    );
  });
});
