/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- assertions read JSON response bodies */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { UpgradeViewData as UpgradeView } from '../../admin/fleet-upgrade-schemas.js';
import { startAdminHarness, type AdminHarness } from './harness.js';

const NEW = '2026.10.2';

describe('admin API: fleet upgrades (real Temporal dev server, DynamoDB and tenant workflows)', function () {
  this.timeout(90_000);
  let h: AdminHarness;

  before(async () => {
    h = await startAdminHarness();
  });
  after(() => h?.close());

  const post = (url: string, payload: object = {}) => h.request({ method: 'POST', url, payload });
  const get = (url: string) => h.request({ method: 'GET', url });

  async function until(
    rolloutId: string,
    check: (body: UpgradeView) => boolean,
    what: string,
  ): Promise<UpgradeView> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const response = await get(`/v1/fleet/upgrades/${rolloutId}`);
      const body = response.json<UpgradeView>();
      if (response.statusCode === 200 && check(body)) return body;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${response.body}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('a rollout moves the listed tenants, skips the one pinned with PATCH, and reports it done', async () => {
    const [a, b, pinned] = [await h.createTenant(), await h.createTenant(), await h.createTenant()];
    const pin = await h.request({
      method: 'PATCH',
      url: `/v1/tenants/${pinned}`,
      payload: { openclawVersion: '2026.9.6' },
    });
    assert.equal(pin.statusCode, 200, pin.body);
    assert.equal(pin.json().openclawPinned, true, 'a version set by an operator is a pin');

    const rolloutId = `r-${randomUUID().slice(0, 8)}`;
    const started = await post('/v1/fleet/upgrades', {
      rolloutId,
      targetVersion: NEW,
      selector: { tenantIds: [a, b, pinned] },
      waves: [100],
      gate: { observeMs: 0, minWakes: 0 },
    });
    assert.equal(started.statusCode, 202, started.body);
    assert.equal(started.json().workflowId, `fleet-upgrade-${rolloutId}`);
    // The rollout reports done in its last workflow task; the execution closes right after (a moment later when busy).
    const done = await until(
      rolloutId,
      (p) => p.state === 'done' && p.execution === 'COMPLETED',
      'done, its workflow completed',
    );
    assert.deepEqual([done.selected, done.upgraded, done.pinnedCount], [2, 2, 1]);
    assert.deepEqual(done.pinned, [pinned]);
    assert.equal(done.execution, 'COMPLETED');
    for (const id of [a, b]) {
      const tenant = (await get(`/v1/tenants/${id}`)).json();
      assert.equal(tenant.tenant.openclawVersion, NEW);
      assert.equal(tenant.tenant.openclawPinned, false);
      assert.equal(tenant.live.settings.openclawVersion, NEW);
      assert.equal(tenant.live.phase, 'asleep', 'a sleeping tenant is not woken for an upgrade');
    }
    assert.equal((await get(`/v1/tenants/${pinned}`)).json().tenant.openclawVersion, '2026.9.6');
  });

  it('one rollout at a time; pause and abort drive it; bad requests and unknown rollouts are refused', async () => {
    const tenants = [await h.createTenant(), await h.createTenant()];
    const rolloutId = `r-${randomUUID().slice(0, 8)}`;
    const body = { targetVersion: NEW, selector: { tenantIds: tenants }, waves: [50, 100] };
    const started = await post('/v1/fleet/upgrades', { ...body, rolloutId, gate: { observeMs: 3_600_000 } });
    assert.equal(started.statusCode, 202, started.body);
    await until(rolloutId, (p) => p.state === 'observing', 'first wave observed');

    const second = await post('/v1/fleet/upgrades', body);
    assert.equal(second.statusCode, 409, second.body);
    assert.equal(second.json().code, 'UPGRADE_RUNNING');

    const paused = await post(`/v1/fleet/upgrades/${rolloutId}/pause`, { reason: 'weekend freeze' });
    assert.equal(paused.statusCode, 200, paused.body);
    assert.equal(paused.json().reason, 'weekend freeze');
    const aborted = await post(`/v1/fleet/upgrades/${rolloutId}/abort`, { reason: 'wrong build' });
    assert.equal(aborted.statusCode, 200, aborted.body);
    assert.equal(aborted.json().state, 'aborted');
    assert.equal(aborted.json().reason, 'aborted: wrong build');
    assert.equal(aborted.json().wave, 1);
    // The first wave keeps the version; the second was never touched.
    const versions = await Promise.all(
      tenants.map(async (id) => String((await get(`/v1/tenants/${id}`)).json().tenant.openclawVersion)),
    );
    assert.deepEqual(versions.sort(), ['2026.9.6', NEW].sort());

    const invalid = await post('/v1/fleet/upgrades', { ...body, waves: [50, 20] });
    assert.equal(invalid.statusCode, 400, invalid.body);
    assert.equal(invalid.json().code, 'UPGRADE_INVALID');
    const missing = await get('/v1/fleet/upgrades/no-such-rollout');
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().code, 'UPGRADE_NOT_FOUND');
  });
});
