/** Tenant CRUD and lifecycle: /v1/tenants… */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { AdminError } from '../errors.js';
import type { IdempotencyStore } from '../idempotency.js';
import {
  CreatedTenant,
  CreateTenantBody,
  DeleteQuery,
  IdParams,
  ListQuery,
  OffboardPlanView,
  PatchTenantBody,
  PhaseResult,
  SuspendBody,
  TenantDetail,
  TenantList,
  TenantView,
} from '../schemas.js';
import type { AdminDeps } from '../deps.js';
import { listTenants } from '../tenant-list.js';
import type { TenantService } from '../tenant-service.js';
import { tenantView } from '../tenant-view.js';

export interface TenantRouteOptions {
  readonly deps: AdminDeps;
  readonly service: TenantService;
  readonly idempotency: IdempotencyStore;
}

const tags = ['tenants'];
const platform = { access: 'platform' } as const;
const tenantScoped = { access: 'tenant' } as const;

/** ETag of a record version; PATCH takes it back in If-Match. */
const etag = (version: number) => `"${version}"`;

function ifMatchVersion(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = /^(?:W\/)?"?(\d+)"?$/.exec(header.trim());
  if (!match)
    throw new AdminError(400, 'IF_MATCH_INVALID', 'If-Match must be the ETag of a tenant version, e.g. "3"');
  return Number(match[1]);
}

export const tenantRoutes: FastifyPluginCallbackTypebox<TenantRouteOptions> = (
  app,
  { deps, service, idempotency },
  done,
) => {
  app.post(
    '/v1/tenants',
    {
      config: platform,
      schema: {
        operationId: 'createTenant',
        tags,
        summary: 'Create a tenant (record, secrets, credentials, workflow); returns its API key once',
        body: CreateTenantBody,
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
        response: { 201: CreatedTenant },
      },
    },
    async (request, reply) => {
      const create = async () => {
        const result = await service.create(request.body);
        const body = {
          tenant: tenantView(result.record),
          workflowId: result.workflowId,
          apiKey: result.apiKey,
          apiKeyId: result.apiKey.keyId,
          onboardingMs: result.onboardingMs,
          ...(result.telegram && { telegram: result.telegram }),
        };
        request.log.info(
          { tenantId: request.body.tenantId, onboardingMs: result.onboardingMs },
          'tenant created',
        );
        // What a replay returns: everything but the one-time key.
        const { apiKey: _once, ...stored } = body;
        return { status: 201, body, stored };
      };
      const key = request.headers['idempotency-key'];
      const scope = request.principal?.tokenId ?? 'anonymous';
      const result = key
        ? await idempotency.run(scope, key, request.body, create)
        : { ...(await create()), replayed: false };
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(result.body as never);
    },
  );

  app.get(
    '/v1/tenants',
    {
      config: platform,
      schema: {
        operationId: 'listTenants',
        tags,
        summary: 'List tenants (paginated)',
        querystring: ListQuery,
        response: { 200: TenantList },
      },
    },
    async (request) => listTenants(deps.registry, request.query),
  );

  app.get(
    '/v1/tenants/:id',
    {
      config: tenantScoped,
      schema: {
        operationId: 'getTenant',
        tags,
        summary: 'Registry record, phase and live description',
        params: IdParams,
        response: { 200: TenantDetail },
      },
    },
    async (request, reply) => {
      const detail = await service.get(request.params.id);
      return reply.header('etag', etag(detail.tenant.version)).send(detail);
    },
  );

  app.patch(
    '/v1/tenants/:id',
    {
      config: platform,
      schema: {
        operationId: 'updateTenant',
        tags,
        summary: 'Change tier, idle timeout, quotas, OpenClaw version (If-Match: optimistic lock)',
        params: IdParams,
        body: PatchTenantBody,
        headers: Type.Object({ 'if-match': Type.Optional(Type.String()) }),
        response: { 200: TenantView },
      },
    },
    async (request, reply) => {
      const view = await service.update(
        request.params.id,
        request.body,
        ifMatchVersion(request.headers['if-match']),
      );
      return reply.header('etag', etag(view.version)).send(view);
    },
  );

  app.post(
    '/v1/tenants/:id/wake',
    {
      config: platform,
      schema: {
        operationId: 'wakeTenant',
        tags,
        summary: 'Wake and wait until the agent is ready',
        params: IdParams,
        response: { 200: Type.Object({ tenantId: Type.String(), podId: Type.String() }) },
      },
    },
    async (request) => service.wake(request.params.id),
  );

  app.post(
    '/v1/tenants/:id/sleep',
    {
      config: platform,
      schema: {
        operationId: 'sleepTenant',
        tags,
        summary: 'Drain (final snapshot, stop) once the running turn ends',
        params: IdParams,
        response: { 202: Type.Object({ tenantId: Type.String(), accepted: Type.Boolean() }) },
      },
    },
    async (request, reply) => reply.code(202).send(await service.sleep(request.params.id)),
  );

  app.post(
    '/v1/tenants/:id/suspend',
    {
      config: platform,
      schema: {
        operationId: 'suspendTenant',
        tags,
        summary: 'Refuse traffic, drain and hold (e.g. unpaid invoice)',
        params: IdParams,
        body: SuspendBody,
        response: { 200: PhaseResult },
      },
    },
    async (request) => service.suspend(request.params.id, request.body.reason),
  );

  app.post(
    '/v1/tenants/:id/resume',
    {
      config: platform,
      schema: {
        operationId: 'resumeTenant',
        tags,
        summary: 'Leave suspended/failed, or cancel an offboard in its grace period',
        params: IdParams,
        response: { 200: PhaseResult },
      },
    },
    async (request) => service.resume(request.params.id),
  );

  app.delete(
    '/v1/tenants/:id',
    {
      config: platform,
      schema: {
        operationId: 'offboardTenant',
        tags,
        summary: 'Offboard: dryRun lists what would be deleted; otherwise delete after graceDays',
        params: IdParams,
        querystring: DeleteQuery,
        response: { 200: OffboardPlanView, 202: OffboardPlanView },
      },
    },
    async (request, reply) => {
      const plan = await service.offboard(request.params.id, request.query);
      return reply.code(plan.dryRun ? 200 : 202).send(plan);
    },
  );
  done();
};
