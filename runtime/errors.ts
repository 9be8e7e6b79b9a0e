/**
 * Errors of the runtime layer (the lifecycle core, its drivers and the
 * worker's supervisor client). Each has a stable code; the activity boundary
 * maps the ones the workflow must act on to their own failure types.
 */
import { ClawfleetError } from '../common/errors.js';

/** The supervisor API answered with an unexpected status (supervisor-client.ts). */
export class SupervisorCallError extends ClawfleetError {
  constructor(
    readonly path: string,
    readonly status: number,
    detail: string,
  ) {
    super('SUPERVISOR_CALL_FAILED', `supervisor ${path} answered ${status}: ${detail}`);
  }
}

/**
 * Every place of the host is taken and none came free while the launch
 * waited. The runtime reports this and evicts no one: the workflow layer
 * chooses which tenant to put to sleep (see activities `findSleepCandidate`).
 */
export class RuntimeAtCapacityError extends ClawfleetError {
  constructor(
    readonly max: number,
    readonly waitedMs: number,
  ) {
    super('RUNTIME_AT_CAPACITY', `all ${max} places are taken (waited ${Math.round(waitedMs / 1000)} s)`);
  }
}
