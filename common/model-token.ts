/**
 * The bearer a tenant's agent presents to the model gateway:
 * `cfm.<tenantId>.<secret>`. The secret is the tenant's derived `model-token`
 * (registry/secret-store.ts), rotated with the other derived tokens; the
 * tenant id in front lets the gateway check it with one look-up.
 */
import { isValidTenantId } from './ids.js';

const BEARER = /^cfm\.([a-z0-9][a-z0-9-]{1,62})\.([A-Za-z0-9_-]{16,128})$/;

export function modelBearer(tenantId: string, secret: string): string {
  return `cfm.${tenantId}.${secret}`;
}

/** The tenant id and secret of a presented bearer, or null when it is not one. */
export function parseModelBearer(value: string): { tenantId: string; secret: string } | null {
  const match = BEARER.exec(value);
  if (!match || !isValidTenantId(match[1])) return null;
  return { tenantId: match[1], secret: match[2]! };
}
