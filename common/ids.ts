import { InvalidTenantIdError } from './errors.js';

/** Tenant ids become S3 prefixes, pod names, labels, URLs and workflow ids: keep them boring. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

export function isValidTenantId(value: unknown): value is string {
  return typeof value === 'string' && TENANT_ID_PATTERN.test(value);
}

export function assertTenantId(value: string): string {
  if (!isValidTenantId(value)) throw new InvalidTenantIdError(value);
  return value;
}
