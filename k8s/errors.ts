/**
 * Kubernetes API failures mapped to what the workflow can act on: admission
 * and validation rejections (a missing RuntimeClass or PriorityClass, an
 * invalid spec) are permanent, because retrying the same pod spec cannot fix
 * them; quota, conflicts, timeouts and server errors stay retryable.
 */
import { ApiException } from '@kubernetes/client-node';
import { PermanentPortError } from '../activities/errors.js';
import { ClawfleetError } from '../common/errors.js';

/** A retryable runtime failure (pod not ready in time, pod failed while starting, quota full). */
export class KubeRuntimeError extends ClawfleetError {
  readonly podName: string;

  constructor(code: string, podName: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.podName = podName;
  }
}

export function statusOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/** The API server's own message (`Status.message`), never the request (it may carry secret data). */
export function apiMessage(error: unknown): string {
  if (!(error instanceof ApiException)) return error instanceof Error ? error.message : String(error);
  const body: unknown = error.body;
  try {
    const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: string };
    if (parsed?.message) return parsed.message;
  } catch {
    // not JSON: fall through to the HTTP status
  }
  return `HTTP ${error.code}`;
}

/** Create failures of a pod: which are the caller's to fix, which are worth retrying. */
export function createFailure(error: unknown, kind: string, name: string): Error {
  const status = statusOf(error);
  const message = apiMessage(error);
  if (status === 403 && /exceeded quota/i.test(message))
    return new KubeRuntimeError('K8S_QUOTA_EXCEEDED', name, `${kind} ${name}: ${message}`, { cause: error });
  if (status === 400 || status === 403 || status === 422)
    return new PermanentPortError(
      'K8S_POD_REJECTED',
      `${kind} ${name} rejected by the API server: ${message}`,
      {
        cause: error,
      },
    );
  return error instanceof Error ? error : new Error(message);
}
