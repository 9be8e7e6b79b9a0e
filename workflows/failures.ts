/** How activity failures read to the workflow: their message, and their type where it decides the path. */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { PERMANENT_ERROR_TYPE } from './shared.js';

export const parseTime = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

export function describeFailure(error: unknown): string {
  const cause = error instanceof ActivityFailure ? (error.cause ?? error) : error;
  return cause instanceof Error ? cause.message : String(cause);
}

export function failureType(error: unknown): string | undefined {
  return error instanceof ActivityFailure && error.cause instanceof ApplicationFailure
    ? (error.cause.type ?? undefined)
    : undefined;
}

export const isPermanent = (error: unknown) => failureType(error) === PERMANENT_ERROR_TYPE;
