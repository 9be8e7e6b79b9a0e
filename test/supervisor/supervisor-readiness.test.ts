/**
 * How a runtime learns that a tenant is ready, and the first delivery after
 * that: the `/readyz?waitMs=` long poll and the retry over OpenClaw's short
 * "listening but no ingress queue yet" window. Real supervisor process,
 * stand-in OpenClaw child.
 */
import { strict as assert } from 'node:assert';
import { useStandInSupervisors } from './stand-in-supervisors.js';

describe('supervisor readiness long poll and first delivery', function () {
  this.timeout(60_000);

  const { launch } = useStandInSupervisors('pod-readiness');
  const quickLoop = { crashLoop: { maxCrashes: 2, windowMs: 60_000, backoffMs: 100 } };

  it('holds GET /readyz?waitMs= until the gateway is ready, while a plain probe answers at once', async () => {
    const { supervisor } = await launch('long-poll-tenant', { listenDelayMs: 3_000 }, quickLoop);
    const plain = await supervisor.api('/readyz', { token: null });
    assert.equal(plain.status, 503, 'right after listening the gateway is still starting');
    const t0 = Date.now();
    const held = await supervisor.api('/readyz?waitMs=20000', { token: null });
    assert.equal(held.status, 200);
    assert.equal(((await held.json()) as { state: string }).state, 'ready');
    assert.ok(Date.now() - t0 > 1_000, `held until the gateway listened (${Date.now() - t0} ms)`);
  });

  it('answers the long poll with 503 and the crash loop instead of holding it to the end', async () => {
    const { supervisor } = await launch('crash-poll-tenant', { crashBoots: 10 }, quickLoop);
    const t0 = Date.now();
    const held = await supervisor.api('/readyz?waitMs=20000', { token: null });
    assert.equal(held.status, 503);
    assert.equal(((await held.json()) as { state: string }).state, 'crash-loop');
    assert.ok(Date.now() - t0 < 15_000, `answered after ${Date.now() - t0} ms`);
  });

  it('retries a delivery refused with 500 while the webhook ingress is not ready, then acks it durably', async () => {
    const { supervisor, events } = await launch('ingress-tenant', { ingressNotReadyMs: 400 }, quickLoop);
    assert.equal((await supervisor.api('/readyz?waitMs=20000')).status, 200);
    const update = JSON.stringify({ update_id: 11, message: { text: 'first after wake' } });
    const response = await supervisor.api('/deliver/telegram', { method: 'POST', body: update });
    assert.equal(response.status, 200);
    assert.ok(
      (await events()).some((e) => e.name === 'ingress-500'),
      'the first attempt met the not-ready window',
    );
  });
});
