/**
 * Fuzzes the public router (Telegram webhook and chat API) with hostile
 * requests, real parts behind it (router-harness.ts: redis-server, dynalite,
 * a Temporal dev server), one awake tenant whose stand-in supervisor would
 * see anything forwarded, and one asleep tenant that any accepted message
 * would wake. Credentials are sometimes right (the tenant's own secret or
 * key, the other tenant's), bodies never are.
 */
import fc from 'fast-check';
import { RouterHarness } from '../router/router-harness.js';
import { StandInSupervisor } from '../router/stand-in-supervisor.js';
import {
  draw,
  hostileAuthorization,
  hostileBody,
  hostileContentType,
  hostileId,
  registryFingerprint,
  summarize,
  type FuzzSummary,
  type HostileRequest,
} from './hostile-requests.js';

const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

export async function fuzzRouter(count: number, seed: number): Promise<FuzzSummary> {
  const h = new RouterHarness();
  await h.start();
  try {
    const { app } = await h.app({ rateLimit: 1_000_000 });
    const [awake, asleep] = await Promise.all([h.tenant('active', 'fz'), h.tenant('active', 'fz')]);
    const stand = await new StandInSupervisor(awake).start();
    await h.publishEndpoint(awake.tenantId, stand.endpoint);
    const before = await registryFingerprint(h.dynamo.doc, h.dynamo.tables);

    const tenantId = fc.oneof(fc.constant(awake.tenantId), fc.constant(asleep.tenantId), hostileId);
    const telegram = fc.record({
      tenant: tenantId,
      secret: fc.constantFrom(
        undefined,
        '',
        'wrong',
        awake.webhookSecret,
        asleep.webhookSecret,
        'x'.repeat(300),
      ),
      contentType: hostileContentType,
      body: hostileBody(['update_id']),
    });
    const chat = fc.record({
      tenant: tenantId,
      authorization: hostileAuthorization([awake.apiKey, asleep.apiKey]),
      contentType: hostileContentType,
      body: hostileBody(['messages']),
    });
    const anyPath = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE' as const),
      path: fc.oneof(
        hostileId.map((id) => `/tg/${id}/../../v1/admin-tokens`),
        hostileId.map((id) => `/${id}`),
        fc.constantFrom(
          '/v1/tenants',
          '/v1/admin-tokens',
          '/metrics/../healthz',
          '//tg//',
          '/tg/',
          '/v1/tenants//chat/completions',
        ),
      ),
      body: hostileBody(['update_id', 'messages']),
    });
    const requests: fc.Arbitrary<HostileRequest> = fc.oneof(
      telegram.map(({ tenant, secret, contentType, body }) => ({
        method: 'POST' as const,
        url: `/tg/${tenant}`,
        headers: {
          ...(secret !== undefined && { [SECRET_HEADER]: secret }),
          ...(contentType && { 'content-type': contentType }),
        },
        payload: body,
      })),
      chat.map(({ tenant, authorization, contentType, body }) => ({
        method: 'POST' as const,
        url: `/v1/tenants/${tenant}/chat/completions`,
        headers: {
          ...(authorization !== undefined && { authorization }),
          ...(contentType && { 'content-type': contentType }),
        },
        payload: body,
      })),
      anyPath.map(({ method, path, body }) => ({
        method,
        url: path,
        headers: { 'content-type': 'application/json' },
        ...(method !== 'GET' && { payload: body }),
      })),
    );

    const results = [];
    for (const request of draw(requests, count, seed)) {
      const response = await app.inject({ ...request });
      results.push({ request, status: response.statusCode, body: response.body });
    }

    const changed: string[] = [];
    if ((await registryFingerprint(h.dynamo.doc, h.dynamo.tables)) !== before)
      changed.push('registry tables');
    for (const tenant of [awake, asleep])
      if (await h.workflowExists(tenant.tenantId)) changed.push(`a workflow of ${tenant.tenantId}`);
    const workflows = await h.temporal.workflow.count();
    if (workflows.count > 0) changed.push(`${workflows.count} workflows started`);
    const forwarded = stand.received.length + stand.refused;
    if (forwarded > 0) changed.push(`${forwarded} requests reached the awake tenant's supervisor`);
    await stand.stop();
    return summarize('router', seed, results, changed);
  } finally {
    await h.stop();
  }
}
