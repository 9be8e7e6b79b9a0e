/**
 * A warm claim end to end through Kubernetes: the worker's own wiring creates
 * the warm pool (a Deployment), the test kubelet runs its pod as the real
 * `supervisor/main.ts --warm`, a Telegram update wakes a standard tenant, the worker
 * claims that pod and hands it the tenant's spec and secrets, the real
 * supervisor starts real OpenClaw and the bot replies; the pool refills. A pro
 * tenant (no pool) wakes cold on the same fleet, for the comparison recorded
 * in docs/kubernetes.md.
 */
import { strict as assert } from 'node:assert';
import type { V1Pod } from '@kubernetes/client-node';
import { isClaimable } from '../../k8s/warm-pool.js';
import { telegramUpdate } from '../../fakes/fake-telegram.js';
import type { TenantTier } from '../../workflows/types.js';
import { startKubeFleet, type KubeFleet } from './kube-fleet.js';

const WARM_TENANT = 'kube-warm';
const COLD_TENANT = 'kube-cold';

describe('a tenant wakes in a claimed warm pod on Kubernetes (real warm supervisor, real OpenClaw)', function () {
  this.timeout(600_000);
  let fleet: KubeFleet;
  let nextUpdateId = 9000;

  async function wakeAndAnswer(tenantId: string, tier: TenantTier, text: string): Promise<number> {
    const started = Date.now();
    const updateId = nextUpdateId++;
    await fleet.tenants.deliver(
      tenantId,
      {
        channel: 'telegram',
        dedupeId: String(updateId),
        receivedAt: new Date().toISOString(),
        body: JSON.stringify(telegramUpdate({ updateId, text })),
      },
      { idleTimeout: '5m', tier },
    );
    await fleet.telegram.waitFor(
      (c) => c.method === 'sendMessage' && String(c.params['text']).includes(`echo: ${text}`),
      240_000,
    );
    return Date.now() - started;
  }
  const podsOf = async (selector: string) =>
    (await fleet.core.listNamespacedPod({ namespace: fleet.namespace, labelSelector: selector })).items;
  async function claimablePool(): Promise<V1Pod[]> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const pods = (await podsOf('clawfleet.io/pool=warm')).filter(isClaimable);
      if (pods.length > 0) return pods;
      if (Date.now() > deadline) assert.fail('a claimable warm pod within 120 s');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  before(async function () {
    this.timeout(40 * 60_000);
    fleet = await startKubeFleet({ warmPool: { standard: 1 } });
    await fleet.registerTenant(WARM_TENANT, 'standard');
    await fleet.registerTenant(COLD_TENANT, 'pro');
  });
  after(async function () {
    this.timeout(120_000);
    await fleet?.stop();
  });

  it('a Telegram update wakes a standard tenant in the warm pod, the bot replies, and the pool refills', async function () {
    const [warmPod] = await claimablePool();
    const warmMs = await wakeAndAnswer(WARM_TENANT, 'standard', 'hello from a warm pod');
    const [serving] = await podsOf(`clawfleet.io/tenant=${WARM_TENANT}`);
    assert.equal(serving?.metadata?.name, warmPod!.metadata!.name, 'the warm pod serves the tenant');
    assert.equal(serving?.metadata?.labels?.['clawfleet.io/pool'], 'claimed');
    const [replacement] = await claimablePool();
    assert.notEqual(replacement!.metadata!.name, warmPod!.metadata!.name, 'a new warm pod replaced it');

    // Pods here share one loopback, and OpenClaw's gateway port is fixed: one real OpenClaw at a time.
    await fleet.tenants.sleep(WARM_TENANT);
    const deadline = Date.now() + 120_000;
    while ((await podsOf(`clawfleet.io/tenant=${WARM_TENANT}`)).length > 0) {
      if (Date.now() > deadline) assert.fail('the warm tenant asleep and its pod gone within 120 s');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const coldMs = await wakeAndAnswer(COLD_TENANT, 'pro', 'hello from a cold pod');
    const [cold] = await podsOf(`clawfleet.io/tenant=${COLD_TENANT}`);
    assert.equal(cold?.metadata?.labels?.['clawfleet.io/pool'], undefined, 'the pro tenant got a cold pod');
    console.log(
      `      update → first reply: warm claim ${(warmMs / 1000).toFixed(1)} s, cold pod ${(coldMs / 1000).toFixed(1)} s`,
    );
  });
});
