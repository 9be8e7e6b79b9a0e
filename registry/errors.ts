/**
 * Errors of the tenant registry and the secret store. Codes are stable: the
 * admin API maps them to HTTP (TENANT_EXISTS and VERSION_CONFLICT are 409,
 * TENANT_NOT_FOUND and SECRET_NOT_FOUND are 404) and activities turn them
 * into non-retryable failures. Messages name tenants and secrets, never values.
 */
import { ClawfleetError } from '../common/errors.js';

/** A create lost the race (or repeated an existing id): the tenant already exists. */
export class TenantExistsError extends ClawfleetError {
  readonly tenantId: string;

  constructor(tenantId: string, options?: { cause?: unknown }) {
    super('TENANT_EXISTS', `tenant ${tenantId} already exists`, options);
    this.tenantId = tenantId;
  }
}

export class TenantNotFoundError extends ClawfleetError {
  readonly tenantId: string;

  constructor(tenantId: string, options?: { cause?: unknown }) {
    super('TENANT_NOT_FOUND', `tenant ${tenantId} does not exist`, options);
    this.tenantId = tenantId;
  }
}

/** Optimistic lock: the record changed since the caller read it. Re-read, re-apply, retry. */
export class VersionConflictError extends ClawfleetError {
  readonly tenantId: string;
  readonly expectedVersion: number;
  /** The version found after the failed write (it may have moved on again since). */
  readonly actualVersion: number;

  constructor(
    tenantId: string,
    expectedVersion: number,
    actualVersion: number,
    options?: { cause?: unknown },
  ) {
    super(
      'VERSION_CONFLICT',
      `tenant ${tenantId} is at version ${actualVersion}, not ${expectedVersion}`,
      options,
    );
    this.tenantId = tenantId;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}

/** A stored item does not match the schema: written by something else, or corrupted. */
export class RegistryRecordError extends ClawfleetError {
  readonly tenantId: string;
  readonly problems: readonly string[];

  constructor(tenantId: string, problems: readonly string[]) {
    super(
      'REGISTRY_RECORD_INVALID',
      `registry record of tenant ${tenantId} is invalid: ${problems.join('; ')}`,
    );
    this.tenantId = tenantId;
    this.problems = problems;
  }
}

/** Input to a registry write failed validation before anything was written. */
export class RegistryInputError extends ClawfleetError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('REGISTRY_INPUT_INVALID', `invalid registry input: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

export class SecretNotFoundError extends ClawfleetError {
  readonly tenantId: string;
  readonly secretName: string;

  constructor(tenantId: string, secretName: string) {
    super('SECRET_NOT_FOUND', `tenant ${tenantId} has no secret ${secretName}`);
    this.tenantId = tenantId;
    this.secretName = secretName;
  }
}

/** Secret names become sort keys and file names in the pod: the same rules as tenant ids. */
export class InvalidSecretNameError extends ClawfleetError {
  readonly secretName: string;

  constructor(secretName: string) {
    super('SECRET_NAME_INVALID', `invalid secret name ${JSON.stringify(secretName.slice(0, 80))}`);
    this.secretName = secretName;
  }
}

/** A stored data key or secret item is malformed or belongs elsewhere. Fails closed. */
export class SecretRecordError extends ClawfleetError {
  readonly tenantId: string;
  readonly itemName: string;

  constructor(tenantId: string, itemName: string, reason: string, options?: { cause?: unknown }) {
    super(
      'SECRET_RECORD_INVALID',
      `secret item ${itemName} of tenant ${tenantId} is unusable: ${reason}`,
      options,
    );
    this.tenantId = tenantId;
    this.itemName = itemName;
  }
}
