/**
 * The model gateway with the registry (DynamoDB) down: a tenant whose record
 * and model token the gateway read before the outage keeps reaching the model
 * (gateway/last-known.ts), where every call failed with a 500 once the
 * 1 s record cache and the 5 s token cache had expired, sending each tenant's
 * turn into OpenClaw's retry backoff. A tenant never read still fails: the
 * gateway cannot tell its token from a forged one. Real Redis, dynalite
 * (stopped for the outage), the fake LLM upstream.
 */
import { strict as assert } from 'node:assert';
import { sumUsage } from '../../registry/usage.js';
import { chat, startGatewayHarness, type GatewayHarness } from './gateway-harness.js';

describe('model gateway with the registry down (last known records and token digests)', function () {
  this.timeout(60_000);
  let h: GatewayHarness;

  before(async () => {
    h = await startGatewayHarness();
  });
  after(async () => {
    await h?.close();
  });

  it('a call answered while the registry restarts is metered once it is back (the write is retried)', async () => {
    const bearer = await h.tenant('gw-outage-metered');
    assert.equal((await chat(h.url, bearer, { text: 'before' })).status, 200);
    await h.services.meter.settle();
    const day = new Date().toISOString().slice(0, 10);
    const tokens = async () =>
      (await sumUsage(h.dynamo.doc, h.dynamo.tables.usage, 'gw-outage-metered', day, day))[0]?.tokens ?? 0;
    const before = await tokens();
    assert.ok(before > 0);

    await h.dynamo.pause();
    const during = await chat(h.url, bearer, { text: 'during the restart' });
    assert.equal(during.status, 200, await during.clone().text());
    const body = (await during.json()) as { usage: { total_tokens: number } };
    // Longer than the three quick tries that used to drop the records (~0.6 s plus the SDK's own).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await h.dynamo.resume();
    await h.services.meter.settle();
    assert.equal(await tokens(), before + body.usage.total_tokens, 'the outage call is billed');
  });

  it('a tenant seen before the outage reaches the model through it; a tenant never seen is refused', async () => {
    const seen = await h.tenant('gw-outage-seen');
    const never = await h.tenant('gw-outage-never');
    assert.equal((await chat(h.url, seen, { text: 'before the outage' })).status, 200);

    await h.dynamo.close(); // dynalite stops: every registry read fails from here on
    // Past the record cache (1 s) and the token cache (5 s): only the registry could answer now.
    await new Promise((resolve) => setTimeout(resolve, 5_500));

    const during = await chat(h.url, seen, { text: 'during the outage' });
    assert.equal(during.status, 200, await during.clone().text());
    assert.match(await during.text(), /echo: during the outage/);
    assert.ok(
      h.llm.completions().some((r) => JSON.stringify(r.body?.messages).includes('during the outage')),
      'the model was asked',
    );
    const refused = await chat(h.url, never, { text: 'never seen' });
    assert.ok(refused.status >= 500, `never-seen tenant: ${refused.status}`);
    await refused.arrayBuffer();
  });
});
