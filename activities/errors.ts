import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { ClawfleetError } from '../common/errors.js';
import { RuntimeAtCapacityError } from '../runtime/errors.js';
import { AT_CAPACITY_ERROR_TYPE, PERMANENT_ERROR_TYPE } from '../workflows/shared.js';

/**
 * A failure retrying cannot fix (bad pod spec, unknown OpenClaw version,
 * tenant missing from the registry). Adapters throw it; the activity boundary
 * turns it into a non-retryable ApplicationFailure the workflow can act on.
 */
export class PermanentPortError extends ClawfleetError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * Rethrows permanent port errors as non-retryable failures, and a full host as
 * its own non-retryable type (the workflow makes room and launches again);
 * everything else stays retryable.
 */
export function toActivityFailure(error: unknown): unknown {
  if (error instanceof RuntimeAtCapacityError) {
    return ApplicationFailure.create({
      message: error.message,
      type: AT_CAPACITY_ERROR_TYPE,
      nonRetryable: true,
      // An expected answer, not an incident: logged at DEBUG, kept out of the failure metrics.
      category: ApplicationFailureCategory.BENIGN,
      details: [{ max: error.max }],
      cause: error,
    });
  }
  if (error instanceof PermanentPortError) {
    return ApplicationFailure.create({
      message: error.message,
      type: PERMANENT_ERROR_TYPE,
      nonRetryable: true,
      details: [{ code: error.code }],
      cause: error,
    });
  }
  return error;
}
