/**
 * The worker's side of the one warm-claim protocol (supervisor/warm-claim.ts):
 * `POST /claim` with the pool's claim token and `{ spec, secrets }`, to a
 * warm pod over the pod network or to a host's warm process over its unix
 * socket. Answered 202 once the claim is valid; the claimed supervisor then
 * reports readiness like a cold one. Bodies carry secrets: never logged, and
 * errors quote only the supervisor's problem answer.
 */
import { request } from 'node:http';
import type { LaunchPlan } from './launch-plan.js';

/** Where the warm supervisor listens: an http endpoint (a pod) or a unix socket (a host process). */
export type ClaimTarget = { readonly endpoint: string } | { readonly socketPath: string };

export interface ClaimBody {
  readonly spec: LaunchPlan['spec'];
  readonly secrets: LaunchPlan['secrets'];
  /** A host process only: the tenant's log file, where its output goes from the claim on. */
  readonly logFile?: string;
  readonly sentAtMs?: number;
}

export class WarmClaimRefused extends Error {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(`POST /claim answered ${status}: ${detail.slice(0, 300)}`);
  }
}

export function claimWarmSupervisor(
  target: ClaimTarget,
  claimToken: string,
  body: ClaimBody,
  signal?: AbortSignal,
): Promise<void> {
  const payload = JSON.stringify(body);
  const where =
    'socketPath' in target
      ? { socketPath: target.socketPath, path: '/claim' }
      : { host: new URL(target.endpoint).hostname, port: new URL(target.endpoint).port, path: '/claim' };
  return new Promise((resolve, reject) => {
    const req = request(
      {
        ...where,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          authorization: `Bearer ${claimToken}`,
        },
        ...(signal ? { signal } : {}),
      },
      (response) => {
        let answer = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (answer += chunk));
        response.on('end', () =>
          response.statusCode === 202
            ? resolve()
            : reject(new WarmClaimRefused(response.statusCode ?? 0, answer)),
        );
        response.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
