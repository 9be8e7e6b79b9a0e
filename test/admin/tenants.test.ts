/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument -- assertions read JSON response bodies */
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startAdminHarness, uniqueTenantId, type AdminHarness } from './harness.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TIER_LIMITS } from '../../local/sandbox/limits.js';
import { writeSandboxFacts } from '../../local/sandbox/sandbox-view.js';

describe('admin API: tenants (app.inject against real DynamoDB, Redis, S3 and Temporal)', function () {
  this.timeout(90_000);
  let h: AdminHarness;
  const onboarding: number[] = [];

  before(async () => {
    h = await startAdminHarness();
  });
  after(async () => {
    if (onboarding.length > 0) {
      const sorted = [...onboarding].sort((a, b) => a - b);
      console.log(
        `      onboarding ms (n=${sorted.length}): median ${sorted[Math.floor(sorted.length / 2)]}, max ${sorted.at(-1)}`,
      );
    }
    await h?.close();
  });

  const create = (payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
    h.request({ method: 'POST', url: '/v1/tenants', payload, headers });

  it('create stores the record, secrets and credentials, starts the workflow asleep, and shows the API key once', async () => {
    const tenantId = uniqueTenantId('new');
    const response = await create({
      tenantId,
      displayName: 'Acme',
      tier: 'pro',
      idleTimeoutMs: 120_000,
      secrets: { 'telegram-bot-token': '123:abc' },
    });
    assert.equal(response.statusCode, 201, response.body);
    const body = response.json();
    onboarding.push(body.onboardingMs);
    assert.equal(body.tenant.tier, 'pro');
    assert.equal(body.tenant.status, 'active');
    assert.match(body.apiKey.apiKey, /^cfk-/);
    assert.deepEqual(body.tenant.apiKeyIds, [body.apiKey.keyId]);
    assert.ok(body.tenant.webhookSecretSet);
    assert.ok(!response.body.includes('hmac-sha256'), 'no credential hash in the response');
    assert.ok(!response.body.includes('123:abc'), 'no secret value in the response');
    assert.ok(await h.deps.credentials.verifyApiKey(tenantId, body.apiKey.apiKey));
    assert.deepEqual(await h.deps.secrets.list(tenantId), [
      'gateway-token',
      'hooks-token',
      'model-token',
      'supervisor-token',
      'telegram-bot-token',
      'telegram-webhook-secret',
    ]);
    assert.equal(await h.deps.secrets.resolve(tenantId, 'telegram-bot-token'), '123:abc');
    const described = await h.deps.tenants.describe(tenantId);
    assert.equal(described.phase, 'asleep');
    assert.equal(described.settings.tier, 'pro');
    assert.equal(described.settings.idleTimeoutMs, 120_000);
  });

  it('onboarding to "ready to receive messages" is measured on every create', async () => {
    for (let i = 0; i < 5; i++) {
      const response = await create({ tenantId: uniqueTenantId('onb') });
      assert.equal(response.statusCode, 201);
      onboarding.push(response.json().onboardingMs);
    }
    assert.ok(onboarding.every((ms) => ms > 0 && ms < 10_000));
  });

  it('the same Idempotency-Key replays the first answer without the one-time key; another body is refused', async () => {
    const tenantId = uniqueTenantId('idem');
    const headers = { 'idempotency-key': `key-${tenantId}` };
    const first = await create({ tenantId }, headers);
    const second = await create({ tenantId }, headers);
    assert.equal(first.statusCode, 201);
    assert.equal(second.statusCode, 201);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.equal(second.json().apiKeyId, first.json().apiKeyId);
    assert.equal(second.json().apiKey, undefined);
    const other = await create({ tenantId, tier: 'free' }, headers);
    assert.equal(other.statusCode, 422);
    assert.equal(other.json().code, 'IDEMPOTENCY_KEY_REUSED');
    const plain = await create({ tenantId });
    assert.equal(plain.statusCode, 409);
    assert.equal(plain.json().code, 'TENANT_EXISTS');
  });

  it('two concurrent creates of the same id: one 201, one 409, and nothing of the loser is left', async () => {
    const tenantId = uniqueTenantId('race');
    const results = await Promise.all([create({ tenantId }), create({ tenantId })]);
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [201, 409]);
    const record = await h.deps.registry.get(tenantId);
    assert.equal(Object.keys(record!.apiKeyHashes).length, 1);
  });

  it('validation errors are 400 problem+json naming the field', async () => {
    const bad = await create({ tenantId: 'Bad_Id', tier: 'gold', extra: 1 });
    assert.equal(bad.statusCode, 400);
    assert.match(String(bad.headers['content-type']), /^application\/problem\+json/);
    const problem = bad.json();
    assert.equal(problem.code, 'VALIDATION_FAILED');
    assert.equal(problem.status, 400);
    assert.match(problem.type, /^urn:clawfleet:problem:validation-failed$/);
    assert.ok(problem.errors.length >= 2, JSON.stringify(problem));
    const patch = await h.request({ method: 'PATCH', url: '/v1/tenants/some-one', payload: {} });
    assert.equal(patch.statusCode, 400);
    const idle = await h.request({
      method: 'PATCH',
      url: '/v1/tenants/some-one',
      payload: { idleTimeoutMs: 5 },
    });
    assert.equal(idle.statusCode, 400);
    const missing = await h.request({ method: 'GET', url: '/v1/tenants/nobody-here' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().code, 'TENANT_NOT_FOUND');
    // A wrong type is refused, not coerced (the fuzz run found `{"tenantId": 422641658}` creating tenant "422641658").
    const numeric = await create({ tenantId: 422641658 });
    assert.equal(numeric.statusCode, 400, numeric.body);
    assert.equal((await h.request({ method: 'GET', url: '/v1/tenants/422641658' })).statusCode, 404);
  });

  it('list pages through tenants and filters by status and tier', async () => {
    const ids = [await h.createTenant({ tier: 'free' }), await h.createTenant({ tier: 'free' })];
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?tier=free&limit=1${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await h.request({ method: 'GET', url: `/v1/tenants${query}` });
      assert.equal(page.statusCode, 200, page.body);
      const body = page.json();
      assert.ok(body.items.length <= 1);
      for (const item of body.items) {
        assert.equal(item.tier, 'free');
        seen.push(item.tenantId);
      }
      cursor = body.cursor;
    } while (cursor);
    for (const id of ids) assert.ok(seen.includes(id), `${id} listed`);
    const suspended = await h.request({ method: 'GET', url: '/v1/tenants?status=suspended' });
    const items = suspended.json<{ items: { tenantId: string }[] }>().items;
    assert.ok(!items.some((t) => ids.includes(t.tenantId)));
  });

  it('get returns the record, the phase and the live description with an ETag', async () => {
    const tenantId = await h.createTenant();
    const response = await h.request({ method: 'GET', url: `/v1/tenants/${tenantId}` });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers.etag, '"4"');
    const body = response.json();
    assert.equal(body.tenant.tenantId, tenantId);
    assert.equal(body.phase, 'asleep');
    assert.equal(body.live.phase, 'asleep');
    assert.deepEqual(
      body.sandbox,
      { mode: 'on', uid: null, limits: null, memoryBytes: null },
      'asleep: no sandbox',
    );
  });

  it("get shows an awake local tenant's sandbox: uid, limits and the memory its cgroup uses now", async () => {
    const tenantId = await h.createTenant();
    const memoryCgroup = await mkdtemp(join(tmpdir(), 'clawfleet-cgroup-'));
    try {
      await writeFile(join(memoryCgroup, 'memory.usage_in_bytes'), '734003200\n');
      await writeSandboxFacts(h.dataDir, tenantId, { uid: 200_007, limits: TIER_LIMITS.pro, memoryCgroup });
      const body = (await h.request({ method: 'GET', url: `/v1/tenants/${tenantId}` })).json();
      assert.deepEqual(body.sandbox, {
        mode: 'on',
        uid: 200_007,
        limits: TIER_LIMITS.pro,
        memoryBytes: 734_003_200,
      });
    } finally {
      await rm(memoryCgroup, { recursive: true, force: true });
    }
  });

  it('PATCH configures the workflow and the record under If-Match; a stale version is 409', async () => {
    const tenantId = await h.createTenant();
    const get = await h.request({ method: 'GET', url: `/v1/tenants/${tenantId}` });
    const etag = String(get.headers.etag);
    const patched = await h.request({
      method: 'PATCH',
      url: `/v1/tenants/${tenantId}`,
      headers: { 'if-match': etag },
      payload: {
        tier: 'pro',
        idleTimeoutMs: 300_000,
        quotas: { messagesPerDay: 500 },
        displayName: 'Renamed',
      },
    });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.equal(patched.json().tier, 'pro');
    assert.equal(patched.json().quotas.messagesPerDay, 500);
    const settings = (await h.deps.tenants.describe(tenantId)).settings;
    assert.equal(settings.tier, 'pro');
    assert.equal(settings.idleTimeoutMs, 300_000);
    const stale = await h.request({
      method: 'PATCH',
      url: `/v1/tenants/${tenantId}`,
      headers: { 'if-match': etag },
      payload: { displayName: 'Again' },
    });
    assert.equal(stale.statusCode, 409);
    assert.equal(stale.json().code, 'VERSION_CONFLICT');
  });

  it('PATCH tools overrides the tier from a closed list: control-plane tools are a 400, `{}` returns to the tier', async () => {
    const tenantId = await h.createTenant();
    const view = (await h.request({ method: 'GET', url: `/v1/tenants/${tenantId}` })).json();
    assert.deepEqual(view.tenant?.tools ?? view.tools, {});
    const patch = (tools: unknown) =>
      h.request({ method: 'PATCH', url: `/v1/tenants/${tenantId}`, payload: { tools } });
    const granted = await patch({ allow: ['exec', 'read'], deny: ['web_fetch'] });
    assert.equal(granted.statusCode, 200, granted.body);
    const body = granted.json<{ tools: unknown; effectiveTools: string[] }>();
    assert.deepEqual(body.tools, { allow: ['exec', 'read'], deny: ['web_fetch'] });
    assert.ok(body.effectiveTools.includes('exec'));
    assert.ok(!body.effectiveTools.includes('web_fetch'));
    assert.deepEqual((await h.deps.registry.get(tenantId))!.tools, {
      allow: ['exec', 'read'],
      deny: ['web_fetch'],
    });
    for (const tools of [
      { allow: ['gateway'] },
      { allow: ['group:runtime'] },
      { allow: ['plugins'] },
      { grant: [] },
    ]) {
      const refused = await patch(tools);
      assert.equal(refused.statusCode, 400, JSON.stringify(tools));
    }
    const reset = await patch({});
    assert.equal(reset.statusCode, 200, reset.body);
    const after = reset.json<{ tools: unknown; effectiveTools: string[] }>();
    assert.deepEqual(after.tools, {});
    assert.ok(!after.effectiveTools.includes('exec'), 'back to the standard tier');
  });

  it('wake, sleep, suspend and resume drive the workflow and the registry status', async () => {
    const tenantId = await h.createTenant();
    const wake = await h.request({ method: 'POST', url: `/v1/tenants/${tenantId}/wake` });
    assert.equal(wake.statusCode, 200, wake.body);
    assert.equal(wake.json().podId, `${tenantId}-1`);
    const sleep = await h.request({ method: 'POST', url: `/v1/tenants/${tenantId}/sleep` });
    assert.equal(sleep.statusCode, 202);
    await until(async () => (await h.deps.tenants.describe(tenantId)).phase === 'asleep');
    const suspend = await h.request({
      method: 'POST',
      url: `/v1/tenants/${tenantId}/suspend`,
      payload: { reason: 'unpaid invoice' },
    });
    assert.equal(suspend.statusCode, 200, suspend.body);
    assert.equal(suspend.json().phase, 'suspended');
    assert.equal((await h.deps.registry.get(tenantId))!.status, 'suspended');
    const again = await h.request({
      method: 'POST',
      url: `/v1/tenants/${tenantId}/suspend`,
      payload: { reason: 'x' },
    });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().code, 'TENANT_OPERATION_REJECTED');
    assert.equal(
      (await h.deps.registry.get(tenantId))!.status,
      'suspended',
      'a refused suspend keeps the status',
    );
    const wakeSuspended = await h.request({ method: 'POST', url: `/v1/tenants/${tenantId}/wake` });
    assert.equal(wakeSuspended.statusCode, 409);
    const resume = await h.request({ method: 'POST', url: `/v1/tenants/${tenantId}/resume` });
    assert.equal(resume.json().phase, 'asleep');
    assert.equal((await h.deps.registry.get(tenantId))!.status, 'active');
  });

  it('DELETE ?dryRun=true lists exactly the real secrets and the record, and changes nothing', async () => {
    const tenantId = await h.createTenant({ secrets: { 'model-openai': 'sk-test' } });
    const response = await h.request({
      method: 'DELETE',
      url: `/v1/tenants/${tenantId}?dryRun=true&graceDays=7`,
    });
    assert.equal(response.statusCode, 200, response.body);
    const plan = response.json();
    assert.equal(plan.dryRun, true);
    assert.deepEqual(plan.secretNames, [
      'gateway-token',
      'hooks-token',
      'model-openai',
      'model-token',
      'supervisor-token',
      'telegram-webhook-secret',
    ]);
    assert.deepEqual(plan.snapshots, []);
    assert.equal(plan.registryRecord, true);
    const days = (Date.parse(plan.deleteAfter) - Date.now()) / 86_400_000;
    assert.ok(days > 6.9 && days < 7.1, `deleteAfter ${plan.deleteAfter}`);
    assert.equal((await h.deps.registry.get(tenantId))!.status, 'active');
    assert.equal((await h.deps.tenants.describe(tenantId)).phase, 'asleep');
  });

  it('DELETE offboards: the workflow holds the data for the grace period and the record says offboarding', async () => {
    const tenantId = await h.createTenant();
    const response = await h.request({ method: 'DELETE', url: `/v1/tenants/${tenantId}?graceDays=30` });
    assert.equal(response.statusCode, 202, response.body);
    assert.equal(response.json().dryRun, false);
    assert.equal((await h.deps.registry.get(tenantId))!.status, 'offboarding');
    assert.equal((await h.deps.tenants.describe(tenantId)).phase, 'offboarding');
    const resume = await h.request({ method: 'POST', url: `/v1/tenants/${tenantId}/resume` });
    assert.equal(resume.json().phase, 'asleep', 'resume cancels an offboard in its grace period');
  });

  it('serves the OpenAPI document without a token, and health endpoints', async () => {
    const doc = await h.request({ method: 'GET', url: '/v1/openapi.json', token: null });
    assert.equal(doc.statusCode, 200);
    const spec = doc.json();
    assert.equal(spec.openapi, '3.1.0');
    for (const path of ['/v1/tenants', '/v1/tenants/{id}', '/v1/tenants/{id}/snapshots/{seq}/restore'])
      assert.ok(spec.paths[path], `${path} documented`);
    assert.equal((await h.request({ method: 'GET', url: '/healthz', token: null })).statusCode, 200);
  });

  it('the OpenAPI document is valid OpenAPI 3.1 for a standard validator (a broken copy is not)', async () => {
    const spec = (await h.request({ method: 'GET', url: '/v1/openapi.json', token: null })).json();
    const result = await new Validator().validate(spec);
    assert.deepEqual(result.errors ?? [], [], 'validator errors');
    assert.equal(result.valid, true);
    // Generated clients name their functions after operationIds: every API operation has a unique one.
    const ids = Object.entries(spec.paths as Record<string, Record<string, { operationId?: string }>>)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, operations]) =>
        Object.entries(operations).map(([method, op]) => op.operationId ?? `${method} ${path}: none`),
      );
    assert.deepEqual(
      ids.filter((id) => id.includes(': none')),
      [],
    );
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
    const broken = structuredClone(spec);
    broken.paths['/v1/tenants'].post.responses = 'none';
    assert.equal(
      (await new Validator().validate(broken)).valid,
      false,
      'the validator does catch a bad document',
    );
  });

  it('no token is 401 with WWW-Authenticate; a bad token is 401', async () => {
    const none = await h.request({ method: 'GET', url: '/v1/tenants', token: null });
    assert.equal(none.statusCode, 401);
    assert.match(String(none.headers['www-authenticate']), /^Bearer/);
    const forged = await h.request({
      method: 'GET',
      url: '/v1/tenants',
      token: `${h.platform.slice(0, -2)}xx`,
    });
    assert.equal(forged.statusCode, 401);
  });
});

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
