/**
 * Errors of the pod supervisor. Each has a stable `code`; the HTTP error
 * handler (http-api.ts) maps codes to statuses and never leaks details of a
 * 5xx, and the agent client maps statuses back to these errors.
 */
import { ClawfleetError } from '../common/errors.js';

/** OpenClaw is not serving: starting, restarting, crash-looping, stopping or stopped. */
export class GatewayUnavailableError extends ClawfleetError {
  constructor(
    readonly state: string,
    readonly lastExit: string | null,
  ) {
    super('GATEWAY_UNAVAILABLE', `gateway is ${state}${lastExit ? ` (last exit: ${lastExit})` : ''}`);
  }
}

/** OpenClaw answered a delivery without its durable ack: the caller must retry. */
export class DeliveryNotAcceptedError extends ClawfleetError {
  constructor(
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(
      'DELIVERY_NOT_ACCEPTED',
      `OpenClaw did not acknowledge the delivery durably (status ${status})`,
      options,
    );
  }
}

/** The supervisor is draining: it takes no new work. */
export class DrainingError extends ClawfleetError {
  constructor() {
    super('DRAINING', 'the supervisor is draining');
  }
}

/** An OpenClaw CLI call (backup, cron, sessions) failed or printed something unexpected. */
export class OpenClawCliError extends ClawfleetError {
  constructor(
    readonly command: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super('OPENCLAW_CLI_FAILED', `openclaw ${command}: ${reason}`, options);
  }
}

/** The request was malformed (e.g. a delivery body that is not a Telegram update). */
export class BadRequestError extends ClawfleetError {
  constructor(reason: string) {
    super('BAD_REQUEST', reason);
  }
}
