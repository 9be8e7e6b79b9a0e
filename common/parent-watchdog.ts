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
