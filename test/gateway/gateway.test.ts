import { strict as assert } from 'node:assert';
import { quotaWindows } from '../../common/quotas.js';
import { ModelCatalog } from '../../gateway/catalog.js';
import { quotaHitsOn } from '../../registry/quota-hits.js';
import { sumUsage } from '../../registry/usage.js';
import { echoReply } from '../../fakes/fake-llm.js';
import { chat, PLATFORM_KEY, startGatewayHarness, type GatewayHarness } from './gateway-harness.js';

/**
 * The model gateway with real Redis and DynamoDB and the fake LLM upstream:
 * what the provider sees, what is metered, and the quotas that hold.
 */
describe('model gateway', () => {
  let h: GatewayHarness;
  const today = () => quotaWindows(Date.now()).day;
  const usage = async (tenantId: string) => {
    await h.services.meter.settle();
    return (await sumUsage(h.dynamo.doc, h.dynamo.tables.usage, tenantId, today(), today()))[0];
  };

  before(async () => {
    h = await startGatewayHarness();
  });
  after(async () => {
    await h?.close();
  });
  afterEach(() => h.llm.setStream({}));

  it('streams a completion with the platform key, asks for usage, and meters it per tenant, day and model', async () => {
    const bearer = await h.tenant('gw-stream');
    const response = await chat(h.url, bearer, { stream: true, text: 'count me' });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const text = await response.text();
    assert.match(text, /echo: count me/);
    assert.match(text, /data: \[DONE\]/);
    const seen = h.llm.completions().at(-1)!;
    assert.equal(seen.headers.authorization, `Bearer ${PLATFORM_KEY}`, 'the provider sees the platform key');
    assert.ok(!JSON.stringify(seen.headers).includes(bearer.split('.')[2]!), 'never the model token');
    assert.deepEqual((seen.body as { stream_options?: unknown }).stream_options, { include_usage: true });
    const sent = /"usage":(\{[^}]*\})/.exec(text)!;
    const { prompt_tokens: input, completion_tokens: output } = JSON.parse(sent[1]!) as Record<
      string,
      number
    >;
    const day = await usage('gw-stream');
    assert.equal(day?.tokens, input! + output!);
    assert.deepEqual(
      day?.models.map((m) => [m.model, m.requests, m.inputTokens, m.outputTokens, m.estimatedRequests]),
      [['fake/fake-model', 1, input, output, 0]],
    );
  });

  it('meters a plain (non-streamed) completion from its usage', async () => {
    const bearer = await h.tenant('gw-plain');
    const response = await chat(h.url, bearer, { text: 'plain' });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { usage: { total_tokens: number } };
    assert.equal((await usage('gw-plain'))?.tokens, body.usage.total_tokens);
  });

  it('estimates the tokens, and marks them estimated, when the provider returns no usage', async () => {
    const bearer = await h.tenant('gw-estimate');
    h.llm.setStream({ omitUsage: true });
    const text = await (await chat(h.url, bearer, { stream: true, text: 'x'.repeat(400) })).text();
    assert.doesNotMatch(text, /"usage"/);
    const [model] = (await usage('gw-estimate'))!.models;
    assert.equal(model?.estimatedRequests, 1);
    assert.ok(model.inputTokens >= 100, `input estimated from the prompt (${model.inputTokens})`);
    assert.ok(
      model.outputTokens >= 100,
      `output estimated from the streamed content (${model.outputTokens})`,
    );
  });

  it('passes the first chunk through unbuffered: it arrives as early as on a direct connection', async () => {
    const bearer = await h.tenant('gw-first-chunk');
    h.llm.setStream({ afterFirstChunkMs: 1_500 });
    const firstChunkAfter = async (url: string, auth: string) => {
      const started = performance.now();
      const response = await chat(url, auth, { stream: true });
      const reader = response.body!.getReader();
      await reader.read();
      const first = performance.now() - started;
      while (!(await reader.read()).done);
      return first;
    };
    const direct = await firstChunkAfter(h.llm.url.replace(/\/v1$/, ''), PLATFORM_KEY);
    const gateway = await firstChunkAfter(h.url, bearer);
    assert.ok(direct < 1_000, `direct first chunk ${direct.toFixed(1)} ms`);
    assert.ok(
      gateway < 1_000,
      `gateway first chunk ${gateway.toFixed(1)} ms: not held back until the stream ends`,
    );
    assert.ok(gateway - direct < 250, `added ${(gateway - direct).toFixed(1)} ms`);
  });

  it('counts a request once per request id, however often it is sent', async () => {
    const bearer = await h.tenant('gw-idempotent');
    for (let i = 0; i < 3; i += 1)
      await (await chat(h.url, bearer, { stream: true, requestId: 'req-1' })).text();
    const day = (await usage('gw-idempotent'))!;
    assert.equal(day.models[0]?.requests, 1);
    const counted = await h.redis
      .client()
      .get(h.services.guard['deps'].counters.keys('gw-idempotent', Date.now()).day);
    assert.equal(Number(counted), day.tokens, 'the Redis day counter agrees with the usage table');
  });

  it('isolates tenants: A’s token cannot act as B, and B’s own key is used for B only', async () => {
    const a = await h.tenant('gw-iso-a');
    const b = await h.tenant('gw-iso-b');
    await h.secrets.put('gw-iso-b', 'model-fake', 'sk-tenant-b-own');
    const forged = `cfm.gw-iso-b.${a.split('.')[2]}`;
    assert.equal((await chat(h.url, forged)).status, 401, 'A’s secret under B’s id');
    assert.equal((await chat(h.url, 'sk-tenant-b-own')).status, 401, 'a provider key is no model token');
    await (await chat(h.url, a)).text();
    assert.equal(h.llm.completions().at(-1)!.headers.authorization, `Bearer ${PLATFORM_KEY}`);
    await (await chat(h.url, b)).text();
    assert.equal(h.llm.completions().at(-1)!.headers.authorization, 'Bearer sk-tenant-b-own');
    assert.equal((await usage('gw-iso-a'))?.models[0]?.requests, 1);
    assert.equal((await usage('gw-iso-b'))?.models[0]?.requests, 1);
  });

  it('refuses with an OpenAI-style 429 once the daily budget is used, and a raised budget works within a second', async () => {
    const bearer = await h.tenant('gw-budget');
    const record = await h.registry.get('gw-budget');
    await h.registry.update('gw-budget', { quotas: { tokensPerDay: 60 } }, record!.version);
    await new Promise((r) => setTimeout(r, 1_100)); // past the gateway's 1 s view of the record
    h.llm.setReply(() => 'a long answer '.repeat(40));
    assert.equal((await chat(h.url, bearer, { text: 'a prompt' })).status, 200);
    h.llm.setReply(echoReply);
    assert.ok((await usage('gw-budget'))!.tokens <= 60, 'the answer was cut off at the cap');
    const refused = await chat(h.url, bearer, { stream: true });
    assert.equal(refused.status, 429);
    const body = (await refused.json()) as { error: { type: string; code: string; message: string } };
    assert.equal(body.error.code, 'quota_tokensPerDay');
    assert.equal(body.error.type, 'rate_limit_error');
    assert.match(body.error.message, /tokens per day.*daily limit reached/);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    const [hit] = await quotaHitsOn(h.dynamo.doc, h.dynamo.tables.usage, 'gw-budget', today());
    assert.equal(hit?.kind, 'tokensPerDay', 'the operator can see which quota was hit');

    const raised = await h.registry.get('gw-budget');
    await h.registry.update('gw-budget', { quotas: { tokensPerDay: 1_000_000 } }, raised!.version);
    await new Promise((r) => setTimeout(r, 1_050));
    assert.equal((await chat(h.url, bearer, { stream: true })).status, 200);
  });

  it('holds a daily cap across requests in flight: each reserves its tokens, and output stops at what is left', async () => {
    const bearer = await h.tenant('gw-hard-cap');
    const record = await h.registry.get('gw-hard-cap');
    await h.registry.update('gw-hard-cap', { quotas: { tokensPerDay: 200 } }, record!.version);
    await new Promise((r) => setTimeout(r, 1_100));
    h.llm.setReply(() => 'many words '.repeat(200)); // ~550 tokens if nothing stopped it
    h.llm.setStream({ afterFirstChunkMs: 600 });
    const sent = h.llm.completions().length;
    const first = await chat(h.url, bearer, { stream: true, text: 'tell me everything' });
    assert.equal(first.status, 200);
    // The first request reserved everything it may still spend: a second one, while it streams, is refused.
    const second = await chat(h.url, bearer, { stream: true, text: 'and more' });
    assert.equal(second.status, 429);
    assert.equal(((await second.json()) as { error: { code: string } }).error.code, 'quota_tokensPerDay');
    await first.text();
    const asked = h.llm.completions().slice(sent);
    assert.equal(asked.length, 1, 'the refused request never reached the provider');
    const maxTokens = asked[0]?.body?.max_tokens ?? 0;
    assert.ok(maxTokens > 0 && maxTokens < 200, `output limited to what the cap leaves (${maxTokens})`);
    h.llm.setReply(echoReply);
    const used = (await usage('gw-hard-cap'))!.tokens;
    assert.ok(used <= 200 && used > 150, `the cap is used up, never passed (${used})`);
    assert.equal((await chat(h.url, bearer, { stream: true })).status, 429, 'nothing is left today');
  });

  it('holds the concurrent-requests quota and frees the slot when a stream ends', async () => {
    const bearer = await h.tenant('gw-concurrent');
    const record = await h.registry.get('gw-concurrent');
    await h.registry.update('gw-concurrent', { quotas: { concurrentModelRequests: 1 } }, record!.version);
    await new Promise((r) => setTimeout(r, 1_100));
    h.llm.setStream({ afterFirstChunkMs: 800 });
    const first = await chat(h.url, bearer, { stream: true });
    const second = await chat(h.url, bearer, { stream: true });
    assert.equal(second.status, 429);
    assert.equal(
      ((await second.json()) as { error: { code: string } }).error.code,
      'quota_concurrentModelRequests',
    );
    await first.text();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await chat(h.url, bearer, { stream: true })).status, 200);
  });

  it('refuses unknown tokens, and lists the models the tier may use', async () => {
    await h.tenant('gw-refusals');
    assert.equal((await chat(h.url, 'cfm.gw-refusals.AAAAAAAAAAAAAAAAAAAAAAAA')).status, 401);
    const bearer = await h.tenant('gw-refusals-2');
    const models = (await (
      await fetch(`${h.url}/v1/models`, { headers: { authorization: `Bearer ${bearer}` } })
    ).json()) as { data: { id: string }[] };
    assert.deepEqual(
      models.data.map((m) => m.id),
      ['fake/fake-model'],
    );
  });
});

describe('model catalog: upstreams, allowlist per tier, prices', () => {
  const catalog = new ModelCatalog({
    provider: 'openai',
    baseUrl: 'https://api.openai.com/v1',
    upstreams: 'openai=https://api.openai.com/v1,local=http://127.0.0.1:9/v1/',
    allowlist: 'free=openai/gpt-5-mini,standard=openai/*+local/llama',
    prices:
      '{"openai/gpt-5-mini": {"input": 0.25, "output": 2, "cachedInput": 0.025}, "local/*": {"input": 0, "output": 0}}',
  });

  it('resolves a model only for tiers that may use it', () => {
    assert.equal(catalog.resolve('free', 'gpt-5-mini')?.qualified, 'openai/gpt-5-mini');
    assert.equal(catalog.resolve('free', 'openai/gpt-5'), null);
    assert.equal(catalog.resolve('free', 'local/llama'), null);
    assert.equal(catalog.resolve('standard', 'openai/gpt-5')?.upstream.origin, 'https://api.openai.com');
    assert.equal(catalog.resolve('standard', 'llama')?.upstream.path, '/v1');
    assert.equal(
      catalog.resolve('pro', 'anything')?.qualified,
      'openai/anything',
      'unlisted tier: any model',
    );
  });

  it('prices tokens in micro-USD, cached input at its own price', () => {
    // 1000 uncached input at $0.25/M, 1000 cached at $0.025/M, 500 output at $2/M.
    assert.equal(
      catalog.costMicros('openai/gpt-5-mini', { input: 2000, cached: 1000, output: 500 }),
      250 + 25 + 1000,
    );
    assert.equal(catalog.costMicros('local/llama', { input: 5000, cached: 0, output: 5000 }), 0);
    assert.equal(catalog.costMicros('openai/unpriced', { input: 5000, cached: 0, output: 5000 }), 0);
  });

  it('rejects an allowlist naming an unknown upstream', () => {
    assert.throws(
      () =>
        new ModelCatalog({
          provider: 'openai',
          baseUrl: 'https://api.openai.com/v1',
          upstreams: '',
          allowlist: 'free=nowhere/x',
          prices: '',
        }),
      /names no upstream/,
    );
  });
});
