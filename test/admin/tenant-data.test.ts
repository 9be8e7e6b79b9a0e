/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument -- assertions read JSON response bodies */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile, appendFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tenantLookupKey } from '../../endpoints/tenant-lookup-keys.js';
import { startAdminHarness, type AdminHarness } from './harness.js';

describe('admin API: secrets, API keys, usage, snapshots, logs, fleet', function () {
  this.timeout(60_000);
  let h: AdminHarness;

  before(async () => {
    h = await startAdminHarness();
  });
  after(() => h?.close());

  it('PUT/DELETE secrets store encrypted values, record the reference, drop the router cache, and never echo a value', async () => {
    const tenantId = await h.createTenant();
    await h.deps.redis.set(tenantLookupKey(tenantId), 'cached');
    const put = await h.request({
      method: 'PUT',
      url: `/v1/tenants/${tenantId}/secrets/model-openai`,
      payload: { value: 'sk-live-1' },
    });
    assert.equal(put.statusCode, 204, put.body);
    assert.equal(await h.deps.redis.get(tenantLookupKey(tenantId)), null, 'lookup cache dropped');
    assert.equal(await h.deps.secrets.resolve(tenantId, 'model-openai'), 'sk-live-1');
    assert.equal((await h.deps.registry.get(tenantId))!.secretRefs['modelOpenai'], 'model-openai');
    const listed = await h.request({ method: 'GET', url: `/v1/tenants/${tenantId}/secrets` });
    assert.ok(listed.json<{ names: string[] }>().names.includes('model-openai'));
    assert.ok(!listed.body.includes('sk-live-1'));
    const generated = await h.request({
      method: 'PUT',
      url: `/v1/tenants/${tenantId}/secrets/gateway-token`,
      payload: { value: 'mine' },
    });
    assert.equal(generated.statusCode, 400);
    assert.equal(generated.json().code, 'SECRET_GENERATED');
    const removed = await h.request({
      method: 'DELETE',
      url: `/v1/tenants/${tenantId}/secrets/model-openai`,
    });
    assert.equal(removed.statusCode, 204);
    assert.equal(await h.deps.secrets.resolveIfPresent(tenantId, 'model-openai'), null);
    assert.equal((await h.deps.registry.get(tenantId))!.secretRefs['modelOpenai'], undefined);
  });

  it('rotate regenerates derived tokens (and the webhook secret when asked)', async () => {
    const tenantId = await h.createTenant();
    const before = await h.deps.secrets.resolve(tenantId, 'gateway-token');
    const response = await h.request({
      method: 'POST',
      url: `/v1/tenants/${tenantId}/secrets/rotate`,
      payload: { webhookSecret: true },
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json().rotated, [
      'gateway-token',
      'hooks-token',
      'supervisor-token',
      'model-token',
      'telegram-webhook-secret',
    ]);
    assert.notEqual(await h.deps.secrets.resolve(tenantId, 'gateway-token'), before);
    assert.equal(
      (await h.deps.registry.get(tenantId))!.webhookSecretHashes.length,
      2,
      'old secret valid until the next wake',
    );
  });

  it('a tenant token issues and revokes its own API keys', async () => {
    const tenantId = await h.createTenant();
    const token = await h.tenantToken(tenantId);
    const issued = await h.request({ method: 'POST', url: `/v1/tenants/${tenantId}/api-keys`, token });
    assert.equal(issued.statusCode, 201);
    const { keyId, apiKey } = issued.json();
    assert.ok(await h.deps.credentials.verifyApiKey(tenantId, apiKey));
    const revoked = await h.request({
      method: 'DELETE',
      url: `/v1/tenants/${tenantId}/api-keys/${keyId}`,
      token,
    });
    assert.equal(revoked.statusCode, 204);
    assert.equal(await h.deps.credentials.verifyApiKey(tenantId, apiKey), false);
  });

  it('usage returns per-day totals and the sum for a range', async () => {
    const tenantId = await h.createTenant();
    await h.deps.registry.recordUsage(tenantId, {
      from: '2026-03-01T10:00:00Z',
      to: '2026-03-01T10:30:00Z',
      activeMs: 1_800_000,
      messages: 4,
      wakes: 1,
      tokens: 900,
    });
    await h.deps.registry.recordUsage(tenantId, {
      from: '2026-03-02T08:00:00Z',
      to: '2026-03-02T08:10:00Z',
      activeMs: 600_000,
      messages: 2,
      wakes: 1,
      tokens: 100,
    });
    const response = await h.request({
      method: 'GET',
      url: `/v1/tenants/${tenantId}/usage?from=2026-03-01&to=2026-03-31`,
      token: await h.tenantToken(tenantId),
    });
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json();
    assert.equal(body.days.length, 2);
    assert.deepEqual(body.total, { activeSeconds: 2400, wakes: 2, messages: 6, tokens: 1000, costMicros: 0 });
    const bad = await h.request({
      method: 'GET',
      url: `/v1/tenants/${tenantId}/usage?from=2026-03-31&to=2026-03-01`,
    });
    assert.equal(bad.statusCode, 400);
  });

  it('usage shows tokens and cost by model; the fleet view ranks tenants by cost; a tenant token reads only its own', async () => {
    const [cheap, dear] = [await h.createTenant(), await h.createTenant()];
    const spend = (tenantId: string, requestId: string, costMicros: number) =>
      h.deps.registry.recordModelUsage(tenantId, {
        requestId,
        at: '2026-04-02T09:00:00Z',
        model: 'openai/gpt-5-mini',
        inputTokens: 1000,
        outputTokens: 100,
        cachedTokens: 200,
        costMicros,
        estimated: false,
        keySource: 'platform',
      });
    await spend(cheap, 'c1', 300);
    await spend(dear, 'd1', 5_000);
    await spend(dear, 'd2', 5_000);
    const own = await h.request({
      method: 'GET',
      url: `/v1/tenants/${dear}/usage?from=2026-04-01&to=2026-04-30`,
      token: await h.tenantToken(dear),
    });
    assert.equal(own.statusCode, 200, own.body);
    assert.equal(own.json().total.tokens, 2200);
    assert.equal(own.json().total.costMicros, 10_000);
    assert.deepEqual(own.json().models[0], {
      model: 'openai/gpt-5-mini',
      requests: 2,
      inputTokens: 2000,
      outputTokens: 200,
      cachedTokens: 400,
      costMicros: 10_000,
      estimatedRequests: 0,
    });
    const foreign = await h.request({
      method: 'GET',
      url: `/v1/tenants/${cheap}/usage?from=2026-04-01&to=2026-04-30`,
      token: await h.tenantToken(dear),
    });
    assert.equal(foreign.statusCode, 403);
    const fleet = await h.request({ method: 'GET', url: '/v1/fleet/usage?from=2026-04-01&to=2026-04-30' });
    assert.equal(fleet.statusCode, 200, fleet.body);
    const ranked = (fleet.json().tenants as { tenantId: string; costUsd: number }[]).filter((t) =>
      [cheap, dear].includes(t.tenantId),
    );
    assert.deepEqual(
      ranked.map((t) => [t.tenantId, t.costUsd]),
      [
        [dear, 0.01],
        [cheap, 0.0003],
      ],
    );
    const denied = await h.request({
      method: 'GET',
      url: '/v1/fleet/usage',
      token: await h.tenantToken(dear),
    });
    assert.equal(denied.statusCode, 403);
  });

  it('restore re-saves an old snapshot as the new newest one and advances the pointer; a running tenant is refused', async () => {
    const tenantId = await h.createTenant();
    for (const version of ['v1', 'v2']) {
      const dir = await mkdtemp(join(tmpdir(), 'clawfleet-state-'));
      await mkdir(join(dir, 'workspace'));
      await writeFile(join(dir, 'workspace', 'MEMORY.md'), version);
      const saved = await h.deps.snapshots.save(tenantId, dir, { openclawVersion: '2026.9.6' });
      await h.deps.registry.advanceSnapshotPointer(tenantId, saved.manifest.seq);
      await rm(dir, { recursive: true, force: true });
    }
    const listed = (await h.request({ method: 'GET', url: `/v1/tenants/${tenantId}/snapshots` })).json<{
      snapshots: { seq: number }[];
      latestSnapshotSeq: number;
    }>();
    assert.deepEqual(
      listed.snapshots.map((s) => s.seq),
      [2, 1],
    );
    assert.equal(listed.latestSnapshotSeq, 2);
    const missing = await h.request({ method: 'POST', url: `/v1/tenants/${tenantId}/snapshots/9/restore` });
    assert.equal(missing.statusCode, 404);
    const restored = await h.request({ method: 'POST', url: `/v1/tenants/${tenantId}/snapshots/1/restore` });
    assert.equal(restored.statusCode, 200, restored.body);
    assert.deepEqual(restored.json(), { tenantId, restoredFrom: 1, newSeq: 3, phase: 'asleep' });
    assert.equal((await h.deps.registry.get(tenantId))!.latestSnapshotSeq, 3);
    const target = await mkdtemp(join(tmpdir(), 'clawfleet-check-'));
    const { manifest } = await h.deps.snapshots.restoreLatest(tenantId, join(target, 's'));
    assert.equal(manifest?.seq, 3);
    assert.equal(await readFile(join(target, 's', 'workspace', 'MEMORY.md'), 'utf8'), 'v1');
    await rm(target, { recursive: true, force: true });
    assert.deepEqual(
      (await h.deps.snapshots.list(tenantId)).map((s) => s.seq),
      [1, 2, 3],
      'nothing deleted',
    );

    await h.deps.tenants.wake(tenantId);
    const running = await h.request({ method: 'POST', url: `/v1/tenants/${tenantId}/snapshots/2/restore` });
    assert.equal(running.statusCode, 409);
    assert.equal(running.json().code, 'TENANT_NOT_ASLEEP');
  });

  it('logs: tail merges the tenant files by time; other tenants and symlinks are out of reach', async () => {
    const tenantId = await h.createTenant();
    const other = await h.createTenant();
    const logs = join(h.dataDir, 'tenants', tenantId, 'logs');
    await mkdir(logs, { recursive: true });
    await writeFile(
      join(logs, 'supervisor.log'),
      `${JSON.stringify({ time: 1, msg: 's1' })}\n${JSON.stringify({ time: 3, msg: 's3' })}\n`,
    );
    await writeFile(join(logs, 'openclaw.log'), `${JSON.stringify({ time: 2, msg: 'o2' })}\n`);
    const otherLogs = join(h.dataDir, 'tenants', other, 'logs');
    await mkdir(otherLogs, { recursive: true });
    await writeFile(
      join(otherLogs, 'supervisor.log'),
      `${JSON.stringify({ time: 1, msg: 'secret-of-other' })}\n`,
    );
    await symlink(join(otherLogs, 'supervisor.log'), join(logs, 'stolen.log'));
    const response = await h.request({
      method: 'GET',
      url: `/v1/tenants/${tenantId}/logs?lines=10`,
      token: await h.tenantToken(tenantId),
    });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /application\/x-ndjson/);
    const lines = response.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { source: string; line: string });
    assert.deepEqual(
      lines.map((l) => `${l.source}:${(JSON.parse(l.line) as { msg: string }).msg}`),
      ['supervisor:s1', 'openclaw:o2', 'supervisor:s3'],
    );
    assert.ok(!response.body.includes('secret-of-other'), 'a symlink to another tenant is not followed');
    const two = await h.request({ method: 'GET', url: `/v1/tenants/${tenantId}/logs?lines=2` });
    assert.equal(two.body.trim().split('\n').length, 2);
    const sneaky = await h.request({ method: 'GET', url: `/v1/tenants/..%2F${other}/logs` });
    assert.equal(sneaky.statusCode, 400);
  });

  it('logs ?follow=true streams lines appended later until the client disconnects', async () => {
    const tenantId = await h.createTenant();
    const logs = join(h.dataDir, 'tenants', tenantId, 'logs');
    await mkdir(logs, { recursive: true });
    await writeFile(join(logs, 'supervisor.log'), `${JSON.stringify({ time: 1, msg: 'before' })}\n`);
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.app.server.address() as AddressInfo;
    const received: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: `/v1/tenants/${tenantId}/logs?follow=true`,
          headers: { authorization: `Bearer ${h.platform}` },
        },
        (res) => {
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            received.push(chunk);
            if (received.join('').includes('before') && received.length === 1)
              void appendFile(join(logs, 'supervisor.log'), `${JSON.stringify({ time: 2, msg: 'after' })}\n`);
            if (received.join('').includes('after')) {
              req.destroy();
              resolve();
            }
          });
        },
      );
      req.on('error', (error) => (received.join('').includes('after') ? resolve() : reject(error)));
      req.end();
    });
    assert.match(received.join(''), /before[\s\S]*after/);
  });

  it('fleet status counts tenants by phase', async () => {
    const tenantId = await h.createTenant();
    await h.deps.tenants.wake(tenantId);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const response = await h.request({ method: 'GET', url: '/v1/fleet/status' });
      assert.equal(response.statusCode, 200, response.body);
      const body = response.json();
      if (body.phases.running >= 1 && body.phases.asleep >= 1) {
        assert.ok(body.total >= 2);
        break;
      }
      if (Date.now() > deadline) assert.fail(`fleet status never saw the tenants: ${response.body}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });
});
