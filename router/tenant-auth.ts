/**
 * The checks in front of every tenant route, run before the body is read:
 * a refused caller never makes the router buffer a megabyte. Order matters:
 * an unknown tenant is 404 whatever the credential, and the tenant's status
 * is revealed (403) only to a caller that proved the credential.
 */
import type { FastifyRequest } from 'fastify';
import { isValidTenantId } from '../common/ids.js';
import { DEPENDENCY_RETRY_AFTER_S, RouterError } from './errors.js';
import type { RouterServices } from './services.js';
import type { TenantView } from './tenant-directory.js';

export type CredentialCheck = (
  directory: RouterServices['directory'],
  tenantId: string,
  view: TenantView,
  request: FastifyRequest,
) => boolean;

export const webhookSecret: CredentialCheck = (directory, tenantId, view, request) =>
  directory.webhookSecretMatches(tenantId, view, single(request.headers['x-telegram-bot-api-secret-token']));

export const bearerApiKey: CredentialCheck = (directory, tenantId, view, request) => {
  const match = /^Bearer (\S+)$/i.exec(single(request.headers.authorization) ?? '');
  return directory.apiKeyMatches(tenantId, view, match?.[1]);
};

/** An onRequest hook that authenticates the tenant named in the path. */
export function authenticateTenant(services: RouterServices, check: CredentialCheck) {
  return async (request: FastifyRequest): Promise<void> => {
    const { tenantId } = request.params as { tenantId?: unknown };
    // Fastify decodes the path, so `..%2Fb` arrives as `../b` and fails here, before any key is built.
    if (!isValidTenantId(tenantId)) throw new RouterError('TENANT_UNKNOWN', 'unknown tenant');
    // Started alongside the lookup: when either misses its process copy, ioredis pipelines the two reads.
    const endpoint = services.endpoints.find(tenantId);
    let view: TenantView | null;
    try {
      view = await services.directory.lookup(tenantId);
    } catch (error) {
      services.metrics.fallback('registry_unavailable');
      throw new RouterError('REGISTRY_UNAVAILABLE', 'tenant registry unavailable', DEPENDENCY_RETRY_AFTER_S, {
        cause: error,
      });
    }
    if (!view) throw new RouterError('TENANT_UNKNOWN', 'unknown tenant');
    if (!check(services.directory, tenantId, view, request))
      throw new RouterError('UNAUTHORIZED', 'missing or wrong credential');
    if (view.status === 'suspended' || view.status === 'offboarding')
      throw new RouterError('TENANT_INACTIVE', `tenant is ${view.status}`);
    request.tenant = view;
    request.endpoint = endpoint;
  };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value;
}
