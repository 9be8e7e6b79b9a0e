/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- assertions read JSON response bodies */
import assert from 'node:assert/strict';
import { startAdminHarness, type AdminHarness } from './harness.js';

/** Every route of the admin API; the OpenAPI document is checked against this list, so a new route must be added here. */
const ROUTES: {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  access: 'platform' | 'tenant';
  payload?: unknown;
}[] = [
  { method: 'POST', path: '/v1/tenants', access: 'platform', payload: { tenantId: 'scope-new-one' } },
  { method: 'GET', path: '/v1/tenants', access: 'platform' },
  { method: 'GET', path: '/v1/tenants/{id}', access: 'tenant' },
  { method: 'PATCH', path: '/v1/tenants/{id}', access: 'platform', payload: { displayName: 'x' } },
  { method: 'DELETE', path: '/v1/tenants/{id}', access: 'platform' },
  { method: 'POST', path: '/v1/tenants/{id}/wake', access: 'platform' },
  { method: 'POST', path: '/v1/tenants/{id}/sleep', access: 'platform' },
  { method: 'POST', path: '/v1/tenants/{id}/suspend', access: 'platform', payload: { reason: 'x' } },
  { method: 'POST', path: '/v1/tenants/{id}/resume', access: 'platform' },
  { method: 'GET', path: '/v1/tenants/{id}/secrets', access: 'tenant' },
  { method: 'PUT', path: '/v1/tenants/{id}/secrets/{name}', access: 'tenant', payload: { value: 'v' } },
  { method: 'DELETE', path: '/v1/tenants/{id}/secrets/{name}', access: 'tenant' },
  { method: 'POST', path: '/v1/tenants/{id}/secrets/rotate', access: 'tenant', payload: {} },
  { method: 'POST', path: '/v1/tenants/{id}/api-keys', access: 'tenant' },
  { method: 'DELETE', path: '/v1/tenants/{id}/api-keys/{keyId}', access: 'tenant' },
  { method: 'GET', path: '/v1/tenants/{id}/usage', access: 'tenant' },
  { method: 'GET', path: '/v1/tenants/{id}/snapshots', access: 'tenant' },
  { method: 'POST', path: '/v1/tenants/{id}/snapshots/{seq}/restore', access: 'platform' },
  { method: 'GET', path: '/v1/tenants/{id}/logs', access: 'tenant' },
  { method: 'POST', path: '/v1/admin-tokens', access: 'platform', payload: { scope: 'platform', name: 'x' } },
  { method: 'GET', path: '/v1/admin-tokens', access: 'platform' },
  { method: 'DELETE', path: '/v1/admin-tokens/{tokenId}', access: 'platform' },
  { method: 'GET', path: '/v1/fleet/status', access: 'platform' },
  { method: 'GET', path: '/v1/fleet/usage', access: 'platform' },
  {
    method: 'POST',
    path: '/v1/fleet/upgrades',
    access: 'platform',
    payload: { targetVersion: '2026.10.2', selector: { tenantIds: ['nobody'] } },
  },
  { method: 'GET', path: '/v1/fleet/upgrades/{rolloutId}', access: 'platform' },
  { method: 'POST', path: '/v1/fleet/upgrades/{rolloutId}/pause', access: 'platform', payload: {} },
  { method: 'POST', path: '/v1/fleet/upgrades/{rolloutId}/resume', access: 'platform' },
  { method: 'POST', path: '/v1/fleet/upgrades/{rolloutId}/abort', access: 'platform', payload: {} },
];

const url = (path: string, tenantId: string) =>
  path
    .replace('{id}', tenantId)
    .replace('{name}', 'model-openai')
    .replace('{keyId}', 'abc123')
    .replace('{seq}', '1')
    .replace('{tokenId}', 'aaaaaaaaaaaa')
    .replace('{rolloutId}', 'no-such-rollout');

describe('admin API: every route checks scope', function () {
  this.timeout(60_000);
  let h: AdminHarness;
  let alice: string;
  let bob: string;
  let aliceToken: string;

  before(async () => {
    h = await startAdminHarness();
    alice = await h.createTenant();
    bob = await h.createTenant();
    aliceToken = await h.tenantToken(alice);
  });
  after(() => h?.close());

  it('the route table covers every route in the OpenAPI document', async () => {
    const spec = (await h.request({ method: 'GET', url: '/v1/openapi.json', token: null })).json();
    const paths = spec.paths as Record<string, Record<string, { security?: unknown[] }>>;
    const documented = Object.entries(paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.security?.length !== 0) // public: health, readiness
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual(documented.sort(), ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  for (const route of ROUTES) {
    const name = `${route.method} ${route.path}`;
    if (route.path.includes('{id}')) {
      it(`${name}: a tenant token for another tenant gets 403 and learns nothing`, async () => {
        for (const target of [bob, 'does-not-exist']) {
          const response = await h.request({
            method: route.method,
            url: url(route.path, target),
            token: aliceToken,
            payload: route.payload as object,
          });
          assert.equal(response.statusCode, 403, `${name} on ${target}: ${response.body}`);
          assert.equal(response.json().code, 'FORBIDDEN');
        }
      });
    }
    if (route.access === 'platform') {
      it(`${name}: a tenant token gets 403 even for its own tenant`, async () => {
        const response = await h.request({
          method: route.method,
          url: url(route.path, alice),
          token: aliceToken,
          payload: route.payload as object,
        });
        assert.equal(response.statusCode, 403, response.body);
      });
    } else {
      it(`${name}: the tenant's own token is allowed`, async () => {
        const response = await h.request({
          method: route.method,
          url: url(route.path, alice),
          token: aliceToken,
          payload: route.payload as object,
        });
        assert.notEqual(response.statusCode, 403, response.body);
        assert.notEqual(response.statusCode, 401, response.body);
        assert.ok(response.statusCode < 500, response.body);
      });
    }
    it(`${name}: no token is 401`, async () => {
      const response = await h.request({
        method: route.method,
        url: url(route.path, alice),
        token: null,
        payload: route.payload as object,
      });
      assert.equal(response.statusCode, 401);
    });
  }

  it('a revoked token is refused at once', async () => {
    const created = await h.request({
      method: 'POST',
      url: '/v1/admin-tokens',
      payload: { scope: `tenant:${alice}`, name: 'temp' },
    });
    assert.equal(created.statusCode, 201);
    const { token, info } = created.json();
    assert.equal((await h.request({ method: 'GET', url: `/v1/tenants/${alice}`, token })).statusCode, 200);
    assert.equal(
      (await h.request({ method: 'DELETE', url: `/v1/admin-tokens/${info.tokenId}` })).statusCode,
      204,
    );
    assert.equal((await h.request({ method: 'GET', url: `/v1/tenants/${alice}`, token })).statusCode, 401);
    const listed = (await h.request({ method: 'GET', url: '/v1/admin-tokens' })).json();
    assert.ok(!JSON.stringify(listed).includes('hash'), 'token hashes are never listed');
  });
});
