/**
 * The gateway's helper processes (the spawn broker, the sqlite worker): the
 * broker runs in its own session, outside the gateway's process group, so a
 * signal to the group misses it. GatewayChild (gateway-child.ts) records the
 * descendants it sees while the gateway runs, and kills what is left after
 * it exits.
 */
import { readFile } from 'node:fs/promises';

export class GatewayHelpers {
  /** Descendants seen while running. */
  private readonly seen = new Set<number>();

  /** Every descendant of `pid` now (from /proc), remembered for the next sweep. */
  async record(pid: number): Promise<void> {
    const queue = [pid];
    while (queue.length > 0) {
      const next = queue.shift()!;
      const text = await readFile(`/proc/${next}/task/${next}/children`, 'utf8').catch(() => '');
      for (const child of text.split(/\s+/).filter(Boolean).map(Number)) {
        this.seen.add(child);
        queue.push(child);
      }
    }
  }

  /** Helpers exit right after the gateway; whatever is still alive a moment later is killed (and group `groupPid`). */
  async sweep(groupPid: number | undefined): Promise<void> {
    const descendants = [...this.seen];
    this.seen.clear();
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (groupPid !== undefined) signalQuietly(-groupPid, 'SIGKILL');
    for (const d of descendants) signalQuietly(d, 'SIGKILL');
  }
}

/** `process.kill`, where a target already gone (ESRCH) is not an error. */
export function signalQuietly(target: number, signal: NodeJS.Signals): void {
  try {
    process.kill(target, signal);
  } catch {
    // ESRCH: already gone
  }
}
