import { ClawfleetError } from '../common/errors.js';

/** A dev stack that cannot start: a port in use, a data dir in use, a component that did not come up. */
export class StackError extends ClawfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DEV_STACK', message, options);
  }
}
