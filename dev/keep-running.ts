/**
 * The dev stack's process supervision: a component whose process dies while
 * the stack runs (a crash, the OOM killer, someone's `kill -9` to see what
 * happens) is reported in one line and started again on the same ports and
 * data: at once the first time, after a growing backoff when it keeps dying.
 * Nothing is lost meanwhile: a router that is down accepts nothing, a worker
 * that is down leaves its tasks in Temporal, Temporal keeps its history on
 * disk, and Redis holds only what is rebuilt (and reloads it from its
 * append-only file). A component that keeps dying (5 deaths within a minute)
 * is left down, with its log named.
 */
import type { RunningComponent } from './components/component.js';

const MAX_DEATHS = 5;
const DEATH_WINDOW_MS = 60_000;
/** The first death in a minute restarts at once (each second of it holds up the messages behind it). */
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 10_000;

/** Wait before the restart after the `deaths`-th death within a minute: 0, 0.5, 1, 2 … 10 s. */
export function restartBackoffMs(deaths: number): number {
  return deaths <= 1 ? 0 : Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (deaths - 2));
}

export interface KeepRunningOptions {
  /** Name in the report lines ("router"). */
  readonly name: string;
  readonly report: (line: string) => void;
  /** Where to look when it dies. */
  readonly logHint: string;
}

/** Starts the component and keeps it running until `stop`; its processes are always the current ones. */
export async function keepRunning(
  start: () => Promise<RunningComponent>,
  options: KeepRunningOptions,
): Promise<RunningComponent> {
  let current = await start();
  let stopping = false;
  let restarting: Promise<void> = Promise.resolve();
  const deaths: number[] = [];

  /** One more death; false once they are too many to go on. */
  const died = (why: string): boolean => {
    const now = Date.now();
    deaths.push(now);
    while (deaths[0]! < now - DEATH_WINDOW_MS) deaths.shift();
    if (deaths.length < MAX_DEATHS) {
      options.report(`${options.name} ${why}; restarting (see ${options.logHint})`);
      return true;
    }
    options.report(
      `${options.name} ${why}, ${deaths.length} times in a minute; left down (see ${options.logHint})`,
    );
    return false;
  };

  const restart = async (why: string) => {
    await current.stop().catch(() => undefined); // whatever is left of its processes
    for (let goOn = died(why); goOn && !stopping;) {
      await new Promise((resolve) => setTimeout(resolve, restartBackoffMs(deaths.length)));
      if (stopping) return;
      try {
        current = await start();
      } catch (error) {
        goOn = died(`did not come back (${(error as Error).message})`);
        continue;
      }
      if (stopping) return current.stop();
      options.report(`${options.name} is up again`);
      watch(current);
      return;
    }
  };

  const watch = (component: RunningComponent) => {
    if (component.processes.length === 0) return;
    void Promise.race(component.processes.map((p) => p.whenExited().then(() => p))).then((dead) => {
      if (!stopping) restarting = restart(dead.describeExit());
    });
  };

  watch(current);
  return {
    rows: current.rows,
    get processes() {
      return current.processes;
    },
    stop: async () => {
      stopping = true;
      await restarting;
      await current.stop();
    },
  };
}
