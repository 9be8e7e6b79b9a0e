import { ClawfleetError } from '../common/errors.js';

/** An update was refused (validator or handler): bad input, or the tenant's phase does not allow it. */
export class TenantOperationRejectedError extends ClawfleetError {
  constructor(
    readonly tenantId: string,
    readonly operation: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super('TENANT_OPERATION_REJECTED', `${operation} ${tenantId}: ${reason}`, options);
  }
}

/** No tenant workflow with that id (never started, or deleted and past retention). */
export class TenantNotFoundError extends ClawfleetError {
  constructor(
    readonly tenantId: string,
    options?: { cause?: unknown },
  ) {
    super('TENANT_NOT_FOUND', `tenant ${tenantId} not found`, options);
  }
}

/** The tenant was offboarded; its id is not reused while Temporal still holds the history. */
export class TenantDeletedError extends ClawfleetError {
  constructor(
    readonly tenantId: string,
    options?: { cause?: unknown },
  ) {
    super('TENANT_DELETED', `tenant ${tenantId} was deleted`, options);
  }
}
