/**
 * Bearer-token authentication and scope checks for every admin route.
 * Each route declares who may call it in `config.access`:
 *
 * - `platform`: platform tokens only (fleet operations, lifecycle changes);
 * - `tenant`: platform tokens, or a `tenant:<id>` token whose id equals the
 *   route's `:id` (read own status and usage, rotate own secrets, read logs);
 * - `public`: no token (health, readiness, the OpenAPI document).
 *
 * The check runs in `onRequest`, before body validation and before any
 * lookup, so a tenant token learns nothing about another tenant, not even
 * whether it exists. A route without `config.access` is refused (fail closed).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthenticatedError } from './errors.js';
import type { AdminTokenInfo, AdminTokenStore } from './token-store.js';

export type Access = 'platform' | 'tenant' | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: AdminTokenInfo | null;
  }
}

export function registerAuth(app: FastifyInstance, tokens: AdminTokenStore): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    // Unknown routes fall through to the not-found handler (404 without a token is fine: it reveals no tenant).
    if (request.routeOptions.url === undefined || access === 'public') return;
    const principal = await authenticate(request, tokens);
    request.principal = principal;
    request.log = request.log.child({ tokenId: principal.tokenId });
    authorize(principal, access, tenantParam(request));
  });
}

async function authenticate(request: FastifyRequest, tokens: AdminTokenStore): Promise<AdminTokenInfo> {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) throw new UnauthenticatedError('a bearer token is required (Authorization: Bearer cfa-…)');
  const principal = await tokens.verify(match[1]!);
  if (!principal) throw new UnauthenticatedError('the bearer token is invalid or revoked');
  return principal;
}

function tenantParam(request: FastifyRequest): string | undefined {
  const id = (request.params as Record<string, unknown> | undefined)?.['id'];
  return typeof id === 'string' ? id : undefined;
}

/** Throws ForbiddenError unless `principal` may call a route with `access` for `tenantId`. */
export function authorize(principal: AdminTokenInfo, access: Access | undefined, tenantId?: string): void {
  if (principal.scope === 'platform') return;
  if (access === 'tenant' && tenantId !== undefined && principal.scope === `tenant:${tenantId}`) return;
  throw new ForbiddenError(
    access === 'tenant' ? 'this token is scoped to another tenant' : 'this route needs a platform token',
  );
}
