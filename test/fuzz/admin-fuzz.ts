/**
 * Fuzzes the admin API with hostile requests against real parts
 * (test/admin/harness.ts: dynalite, s3rver, redis-server, a Temporal dev
 * server and a worker). Requests with a valid platform token only ever name
 * ids that do not exist or carry bodies no route accepts, and a victim
 * tenant is there for the requests without valid credentials to try; so
 * every request must be refused (or be a read) and nothing may change: the
 * registry, the victim's workflow history, the set of workflows.
 */
import fc from 'fast-check';
import { startAdminHarness } from '../admin/harness.js';
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
import { tenantWorkflowId } from '../../workflows/shared.js';

const ROUTES = [
  ['POST', '/v1/tenants'],
  ['GET', '/v1/tenants/:id'],
  ['PATCH', '/v1/tenants/:id'],
  ['DELETE', '/v1/tenants/:id'],
  ['POST', '/v1/tenants/:id/wake'],
  ['POST', '/v1/tenants/:id/sleep'],
  ['POST', '/v1/tenants/:id/suspend'],
  ['POST', '/v1/tenants/:id/resume'],
  ['POST', '/v1/tenants/:id/api-keys'],
  ['DELETE', '/v1/tenants/:id/api-keys/:id'],
  ['GET', '/v1/tenants/:id/secrets'],
  ['PUT', '/v1/tenants/:id/secrets/:id'],
  ['DELETE', '/v1/tenants/:id/secrets/:id'],
  ['POST', '/v1/tenants/:id/secrets/rotate'],
  ['GET', '/v1/tenants/:id/snapshots'],
  ['POST', '/v1/tenants/:id/snapshots/:id/restore'],
  ['GET', '/v1/tenants/:id/usage'],
  ['GET', '/v1/tenants/:id/logs'],
  ['POST', '/v1/admin-tokens'],
  ['DELETE', '/v1/admin-tokens/:id'],
] as const;

/** Keys that, well-typed, make some admin body acceptable. */
const BODY_KEYS = [
  'tenantId',
  'tier',
  'status',
  'reason',
  'value',
  'name',
  'scope',
  'label',
  'webhookSecret',
  'quotas',
  'telegramBotToken',
];

export async function fuzzAdmin(count: number, seed: number): Promise<FuzzSummary> {
  const h = await startAdminHarness();
  try {
    const victim = await h.createTenant();
    const victimToken = await h.tenantToken(victim);
    const history = async () =>
      (await h.env.client.workflow.getHandle(tenantWorkflowId(victim)).fetchHistory()).events?.length ?? 0;
    // The victim's workflow is idle (asleep, no timers due): its history length only moves if something reached it.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const [registryBefore, historyBefore, workflowsBefore] = await Promise.all([
      registryFingerprint(h.dynamo.doc, h.dynamo.tables),
      history(),
      h.env.client.workflow.count(),
    ]);

    // Without valid credentials: any id, the victim's included. With them: only ids that cannot exist.
    const unauthenticated = fc.record({
      route: fc.constantFrom(...ROUTES),
      id: fc.oneof(fc.constant(victim), hostileId),
      authorization: hostileAuthorization([`${victimToken}x`, victimToken.slice(0, -1)]),
      contentType: hostileContentType,
      body: hostileBody(BODY_KEYS),
    });
    const platform = fc.record({
      route: fc.constantFrom(...ROUTES),
      id: hostileId,
      authorization: fc.constant(`Bearer ${h.platform}`),
      contentType: hostileContentType,
      body: hostileBody(BODY_KEYS),
    });
    const requests: fc.Arbitrary<HostileRequest> = fc
      .oneof(unauthenticated, platform)
      .map(({ route: [method, pattern], id, authorization, contentType, body }) => ({
        method,
        url: pattern.replaceAll(':id', id),
        headers: {
          ...(authorization !== undefined && { authorization }),
          ...(contentType && { 'content-type': contentType }),
        },
        ...(method !== 'GET' && { payload: body }),
      }));

    const results = [];
    for (const request of draw(requests, count, seed)) {
      // `token: null`: the generated authorization header is the only one sent.
      const response = await h.request({ ...request, token: null });
      results.push({ request, status: response.statusCode, body: response.body });
    }

    const changed: string[] = [];
    if ((await registryFingerprint(h.dynamo.doc, h.dynamo.tables)) !== registryBefore)
      changed.push('registry tables');
    if ((await history()) !== historyBefore) changed.push(`the victim's workflow history`);
    const workflows = await h.env.client.workflow.count();
    if (workflows.count !== workflowsBefore.count)
      changed.push(`workflows: ${workflowsBefore.count} before, ${workflows.count} after`);
    return summarize('admin', seed, results, changed);
  } finally {
    await h.close();
  }
}
