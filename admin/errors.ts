/**
 * Errors of the admin API itself (auth, idempotency, snapshots, logs). Each
 * carries the HTTP status it maps to; errors of other areas (registry,
 * client, snapshots) are mapped by code in problem.ts.
 */
import { ClawfleetError } from '../common/errors.js';

export class AdminError extends ClawfleetError {
  readonly status: number;

  constructor(status: number, code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = status;
  }
}

/** No bearer token, or one that does not verify. */
export class UnauthenticatedError extends AdminError {
  constructor(reason: string) {
    super(401, 'UNAUTHENTICATED', reason);
  }
}

/** A valid token whose scope does not cover the route or the tenant. */
export class ForbiddenError extends AdminError {
  constructor(reason: string) {
    super(403, 'FORBIDDEN', reason);
  }
}
