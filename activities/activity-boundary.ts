/**
 * The edge every activity's work passes: heartbeats while it runs, and
 * permanent port errors mapped to non-retryable failures (errors.ts).
 */
import { Context } from '@temporalio/activity';
import { toActivityFailure } from './errors.js';

/** Well inside the heartbeat timeouts of workflows/activity-proxies.ts (5 s and 10 s). */
const HEARTBEAT_EVERY_MS = 2_000;

/** Heartbeats while `work` runs, and maps permanent port errors at the boundary. */
export async function guarded<T>(work: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  const ctx = safeContext();
  const timer = ctx ? setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS) : undefined;
  try {
    return await work(ctx?.cancellationSignal);
  } catch (error) {
    throw toActivityFailure(error);
  } finally {
    if (timer) clearInterval(timer);
  }
}

/** The running activity's context, or undefined outside one (plain unit tests). */
export function safeContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity (plain unit tests)
  }
}
