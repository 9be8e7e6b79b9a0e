/**
 * Node children of the dev stack get a stdin pipe from their parent. When the
 * parent dies without stopping them (SIGKILL, crash), the pipe closes and they
 * shut themselves down, so no worker or router outlives the stack.
 */

/** The flag the stack passes to Node children started with `parentWatchdog`. */
export const PARENT_WATCHDOG_FLAG = '--parent-watchdog';

/**
 * For Node children of the stack: exit when the parent's stdin pipe closes,
 * i.e. when the stack died without stopping us. Only active when started
 * with PARENT_WATCHDOG_FLAG (a plain `npm run worker` keeps its terminal stdin).
 */
export function exitWhenParentDies(argv: readonly string[], onParentGone: () => void): void {
  if (!argv.includes(PARENT_WATCHDOG_FLAG)) return;
  process.stdin.on('end', onParentGone);
  process.stdin.on('error', onParentGone);
  process.stdin.resume();
}

/**
 * A server's one way out: `close` runs once, on SIGINT, SIGTERM or the
 * parent's death (whichever comes first), then the process exits 0.
 */
export function closeOnShutdown(
  logger: { info(obj: object, msg: string): void },
  what: string,
  close: () => Promise<void>,
): void {
  let closing = false;
  const shutdown = async (reason: string) => {
    if (closing) return;
    closing = true;
    logger.info({ reason }, `${what} shutting down`);
    await close();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void shutdown(signal));
  exitWhenParentDies(process.argv, () => void shutdown('parent exited'));
}
