/** Platform-only routes: admin tokens and the fleet summary. */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { TENANT_PHASES, TENANT_WORKFLOW_TYPE, TenantPhaseAttr } from '../../workflows/shared.js';
import type { AdminDeps } from '../deps.js';
import { AdminError } from '../errors.js';
import { TokenBody, TokenParams } from '../schemas.js';
import { FleetUsageReport, UsageQuery } from '../usage-schemas.js';
import type { TokenScope } from '../token-store.js';

const platform = { access: 'platform' } as const;
const TokenInfo = Type.Object({
  tokenId: Type.String(),
  scope: Type.String(),
  name: Type.String(),
  createdAt: Type.String(),
});

export const platformRoutes: FastifyPluginCallbackTypebox<{ deps: AdminDeps }> = (app, { deps }, done) => {
  app.post(
    '/v1/admin-tokens',
    {
      config: platform,
      schema: {
        operationId: 'createAdminToken',
        tags: ['tokens'],
        summary: 'Create an admin token (platform or tenant:<id>); shown once',
        body: TokenBody,
        response: { 201: Type.Object({ token: Type.String(), info: TokenInfo }) },
      },
    },
    async (request, reply) => {
      const created = await deps.tokens.create(request.body.scope as TokenScope, request.body.name);
      request.log.info(
        { newTokenId: created.info.tokenId, scope: created.info.scope },
        'admin token created',
      );
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/v1/admin-tokens',
    {
      config: platform,
      schema: {
        operationId: 'listAdminTokens',
        tags: ['tokens'],
        summary: 'List admin tokens (ids and scopes)',
        response: { 200: Type.Object({ items: Type.Array(TokenInfo) }) },
      },
    },
    async () => ({ items: await deps.tokens.list() }),
  );

  app.delete(
    '/v1/admin-tokens/:tokenId',
    {
      config: platform,
      schema: {
        operationId: 'revokeAdminToken',
        tags: ['tokens'],
        summary: 'Revoke an admin token',
        params: TokenParams,
      },
    },
    async (request, reply) => {
      await deps.tokens.revoke(request.params.tokenId);
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/fleet/status',
    {
      config: platform,
      schema: {
        operationId: 'fleetStatus',
        tags: ['fleet'],
        summary: 'Tenants by workflow phase (visibility counts, eventually consistent)',
        response: {
          200: Type.Object({ total: Type.Integer(), phases: Type.Record(Type.String(), Type.Integer()) }),
        },
      },
    },
    async () => {
      const base = `WorkflowType = '${TENANT_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`;
      // One count per phase: visibility cannot GROUP BY a custom search attribute.
      const counts = await Promise.all(
        TENANT_PHASES.filter((p) => p !== 'deleted').map(async (phase) => {
          const { count } = await deps.temporal.workflow.count(
            `${base} AND ${TenantPhaseAttr.name} = '${phase}'`,
          );
          return [phase, count] as const;
        }),
      );
      const deleted = await deps.temporal.workflow.count(
        `WorkflowType = '${TENANT_WORKFLOW_TYPE}' AND ExecutionStatus = 'Completed' AND ${TenantPhaseAttr.name} = 'deleted'`,
      );
      const phases = Object.fromEntries([...counts, ['deleted', deleted.count]]);
      const total = counts.reduce((sum, [, n]) => sum + n, 0);
      return { total, phases };
    },
  );
  app.get(
    '/v1/fleet/usage',
    {
      config: platform,
      schema: {
        operationId: 'fleetUsage',
        tags: ['usage'],
        summary: 'Tenants ranked by model cost over UTC days (default: the last 30)',
        querystring: UsageQuery,
        response: { 200: FleetUsageReport },
      },
    },
    async (request) => {
      const to = request.query.to ?? new Date().toISOString().slice(0, 10);
      const from =
        request.query.from ?? new Date(Date.parse(to) - 29 * 86_400_000).toISOString().slice(0, 10);
      if (from > to) throw new AdminError(400, 'RANGE_INVALID', 'from must not be after to');
      const tenants = await deps.registry.fleetUsage(from, to);
      return { from, to, tenants: tenants.map((t) => ({ ...t, costUsd: t.costMicros / 1e6 })) };
    },
  );
  done();
};
