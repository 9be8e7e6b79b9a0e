/**
 * How a local tenant supervisor knows its runtime still exists without being
 * its child's pipe: the runtime touches a heartbeat file in its data dir
 * every few seconds, and each supervisor drains itself (final snapshot,
 * OpenClaw stopped) once the file is older than the adoption window. So a
 * worker that dies (a crash, a deploy) leaves its tenants serving until the
 * next worker adopts them, and a stack that is gone for good still leaves no
 * process behind.
 */
import { closeSync, openSync, statSync, utimesSync } from 'node:fs';

/** The supervisor's flag: `--runtime-heartbeat <file> <windowMs>`. */
export const RUNTIME_HEARTBEAT_FLAG = '--runtime-heartbeat';
/** How often the runtime touches the file; the window must be several periods long. */
export const HEARTBEAT_PERIOD_MS = 2_000;

/** The runtime's side: touch `file` now and every period until the returned stop is called. */
export function keepBeating(file: string): () => void {
  const touch = () => {
    const now = new Date();
    try {
      utimesSync(file, now, now);
    } catch {
      closeSync(openSync(file, 'a', 0o600));
    }
  };
  touch();
  const timer = setInterval(touch, HEARTBEAT_PERIOD_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** The supervisor's arguments for watching `file` with `windowMs`. */
export function heartbeatFlag(file: string, windowMs: number): string[] {
  return [RUNTIME_HEARTBEAT_FLAG, file, String(windowMs)];
}

/** The flag's arguments, or null when the process was not started with it. */
export function heartbeatArgs(argv: readonly string[]): { file: string; windowMs: number } | null {
  const at = argv.indexOf(RUNTIME_HEARTBEAT_FLAG);
  if (at < 0) return null;
  const file = argv[at + 1];
  const windowMs = Number(argv[at + 2]);
  if (!file || !Number.isFinite(windowMs) || windowMs < 2 * HEARTBEAT_PERIOD_MS)
    throw new Error(
      `${RUNTIME_HEARTBEAT_FLAG} needs a file and a window of at least ${2 * HEARTBEAT_PERIOD_MS} ms`,
    );
  return { file, windowMs };
}

/**
 * The supervisor's side: calls `onStale` once when the heartbeat is older than
 * the window (or missing). Returns how to stop watching.
 */
export function watchHeartbeat(file: string, windowMs: number, onStale: () => void): () => void {
  const timer = setInterval(() => {
    let age = Infinity;
    try {
      age = Date.now() - statSync(file).mtimeMs;
    } catch {
      // missing: the data dir is gone, so is the runtime
    }
    if (age <= windowMs) return;
    clearInterval(timer);
    onStale();
  }, HEARTBEAT_PERIOD_MS);
  timer.unref();
  return () => clearInterval(timer);
}
