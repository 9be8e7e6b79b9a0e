import { strict as assert } from 'node:assert';
import { loadConfig } from '../../common/config.js';
import { ConfigError } from '../../common/errors.js';
import { kubeOptionsFromConfig, parseTolerations } from '../../k8s/options.js';
import { podSupervisorSpec, tenantPod } from '../../k8s/pod-manifest.js';
import { podSpec, testPlan } from './fixture.js';

describe('kubernetes runtime settings', function () {
  it('the defaults select Kata nodes, tolerate the tenant taint and keep no warm pool', function () {
    const options = kubeOptionsFromConfig(loadConfig({}));
    assert.equal(options.runtimeClassName, 'kata-qemu');
    assert.deepEqual(options.nodeSelector, { 'katacontainers.io/kata-runtime': 'true' });
    assert.deepEqual(options.tolerations, [
      { key: 'clawfleet.io/tenants', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    assert.deepEqual(options.warmPool, {});
  });

  it('parses warm pool sizes and tolerations, and names the bad setting otherwise', function () {
    const options = kubeOptionsFromConfig(
      loadConfig({ CLAWFLEET_K8S_WARM_POOL: 'standard=2,pro=1', CLAWFLEET_K8S_RUNTIME_CLASS: '' }),
    );
    assert.deepEqual(options.warmPool, { standard: 2, pro: 1 });
    assert.deepEqual(parseTolerations('a=b:NoExecute'), [
      { key: 'a', operator: 'Equal', value: 'b', effect: 'NoExecute' },
    ]);
    assert.throws(
      () => kubeOptionsFromConfig(loadConfig({ CLAWFLEET_K8S_WARM_POOL: 'gold=2' })),
      ConfigError,
    );
    assert.throws(() => parseTolerations('a:Sometimes'), /CLAWFLEET_K8S_TOLERATIONS/);
    const runc = tenantPod(options, podSpec('acme', 1));
    assert.equal(runc.spec?.runtimeClassName, undefined, 'empty runtime class means plain runc');
  });

  it('the pod supervisor spec listens on all interfaces, keeps the gateway on loopback and fits the grace period', async function () {
    const options = kubeOptionsFromConfig(loadConfig({}));
    const plan = await testPlan(
      podSpec('acme', 1),
      { host: '0.0.0.0', supervisorPort: 8080, gatewayPort: 18789, webhookPort: 8787 },
      '/x',
    );
    const spec = podSupervisorSpec({ ...plan.spec, shutdownGraceMs: 300_000 }, options);
    assert.deepEqual(spec.listen, { host: '0.0.0.0', port: 8080 });
    assert.equal(spec.gateway.host, '127.0.0.1');
    assert.equal(spec.secretsDir, '/etc/clawfleet');
    assert.equal(spec.shutdownGraceMs, (options.terminationGraceSeconds - 5) * 1000);
  });
});
