/**
 * The one client of the supervisor API (the worker's side; the in-pod side is
 * supervisor/): deliveries and probes for the activities (`AgentPort`), and readiness
 * and drain for the runtime drivers. Every call carries the tenant's
 * supervisor token, which the caller resolves per pod (from the secret store)
 * so it never enters workflow history.
 */
import { PermanentPortError } from '../activities/errors.js';
import type { AgentPort, CallOptions } from '../activities/ports.js';
import { problemCode } from '../common/problem.js';
import { withTraceHeaders } from '../common/tracing.js';
import type { AgentActivity, Envelope, PodHandle, SnapshotManifest } from '../workflows/types.js';
import { SupervisorCallError } from './errors.js';

export interface AgentClientOptions {
  /** The supervisor token of the pod's tenant. */
  readonly token: (handle: PodHandle) => string | Promise<string>;
  /**
   * A fresh snapshot grant for the pod's tenant, sent with every snapshot and
   * drain so the supervisor's upload slots never run out or expire.
   */
  readonly snapshotGrant?: (handle: PodHandle) => Promise<unknown>;
  /** Per-call deadline for quick calls (activity). @default 30 s */
  readonly timeoutMs?: number;
  /** Deadline for snapshot and drain (a backup plus an upload). @default 5 min */
  readonly slowTimeoutMs?: number;
}

export class SupervisorAgentClient implements AgentPort {
  constructor(private readonly options: AgentClientOptions) {}

  async deliver(handle: PodHandle, envelope: Envelope, options: CallOptions = {}): Promise<void> {
    // Only Telegram has a durable ingress in OpenClaw; chat requests are proxied synchronously instead.
    if (envelope.channel !== 'telegram')
      throw new PermanentPortError(
        'CHANNEL_NOT_DELIVERABLE',
        `channel ${envelope.channel} cannot be delivered through the supervisor`,
      );
    await this.call(handle, 'POST', '/deliver/telegram', envelope.body, options.signal);
  }

  async activity(handle: PodHandle): Promise<AgentActivity> {
    return (await this.call(handle, 'GET', '/activity')) as AgentActivity;
  }

  async snapshot(handle: PodHandle, options: CallOptions = {}): Promise<SnapshotManifest> {
    return (await this.call(
      handle,
      'POST',
      '/snapshot',
      await this.grantBody(handle),
      options.signal,
      true,
    )) as SnapshotManifest;
  }

  /**
   * The supervisor's view of its gateway (`GET /readyz`, 200 or 503 alike):
   * `state: 'crash-loop'` is the signal to move the tenant to `failed`.
   */
  async readiness(
    handle: PodHandle,
  ): Promise<{ ready: boolean; state: string; restarts: number; recentCrashes: number }> {
    const response = await fetch(new URL('/readyz', handle.endpoint), {
      headers: withTraceHeaders({ authorization: `Bearer ${await this.options.token(handle)}` }),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
    });
    if (response.status !== 200 && response.status !== 503)
      throw new SupervisorCallError('/readyz', response.status, (await response.text()).slice(0, 200));
    const body = (await response.json()) as { state: string; restarts: number; recentCrashes: number };
    return {
      ready: response.status === 200,
      state: body.state,
      restarts: body.restarts,
      recentCrashes: body.recentCrashes,
    };
  }

  /** Stop OpenClaw, take the final snapshot (null if the pod never restored state); the supervisor then exits. */
  async drain(handle: PodHandle, options: CallOptions = {}): Promise<SnapshotManifest | null> {
    const body = await this.grantBody(handle);
    const result = (await this.call(handle, 'POST', '/drain', body, options.signal, true)) as {
      manifest: SnapshotManifest | null;
    };
    return result.manifest;
  }

  private async grantBody(handle: PodHandle): Promise<string | undefined> {
    if (!this.options.snapshotGrant) return undefined;
    return JSON.stringify({ snapshotGrant: await this.options.snapshotGrant(handle) });
  }

  private async call(
    handle: PodHandle,
    method: 'GET' | 'POST',
    path: string,
    body?: string,
    signal?: AbortSignal,
    slow = false,
  ): Promise<unknown> {
    const timeout = AbortSignal.timeout(
      slow ? (this.options.slowTimeoutMs ?? 300_000) : (this.options.timeoutMs ?? 30_000),
    );
    const response = await fetch(new URL(path, handle.endpoint), {
      method,
      // The activity's span (when traced) is the parent of the supervisor's.
      headers: withTraceHeaders({
        authorization: `Bearer ${await this.options.token(handle)}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      }),
      ...(body !== undefined ? { body } : {}),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const text = await response.text();
    if (!response.ok) {
      const detail = problemCode(safeJson(text)) ?? text.slice(0, 200);
      throw new SupervisorCallError(path, response.status, detail);
    }
    return safeJson(text);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
