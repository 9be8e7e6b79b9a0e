/**
 * Watches the processes a supervisor starts, from /proc (Linux, like the
 * local runtime): the activity test asserts a probe starts none, and
 * bench:probe sums the memory of those the old probe started.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface SpawnedProcess {
  readonly pid: number;
  readonly cmdline: string;
}

export interface ProcessWatch {
  /** Children seen that were not there when the watch began. */
  readonly spawned: SpawnedProcess[];
  /** Largest sum of their resident memory over one sample, bytes. */
  readonly peakRssBytes: number;
  stop(): void;
}

/** Direct children of `pid`, from every thread (libuv may fork from any). */
export function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return []; // the process has exited
  }
}

function descendants(pid: number): number[] {
  const direct = childPids(pid);
  return [...direct, ...direct.flatMap(descendants)];
}

export function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/**
 * Samples `parent`'s children every `everyMs` (an OpenClaw CLI call lives
 * 1–3 s, far longer). Children present at the start (the gateway) are not
 * counted, nor is what the gateway itself starts (it runs `npm`, `git` and
 * workers of its own during turns); a new child's memory includes its own
 * descendants.
 */
export function watchNewProcesses(parent: number, everyMs = 5): ProcessWatch {
  const baseline = new Set(childPids(parent));
  const seen = new Map<number, SpawnedProcess>();
  let peakRssBytes = 0;
  const sample = () => {
    const fresh = childPids(parent).filter((pid) => !baseline.has(pid));
    for (const pid of fresh) if (!seen.has(pid)) seen.set(pid, { pid, cmdline: cmdlineOf(pid) });
    const tree = fresh.flatMap((pid) => [pid, ...descendants(pid)]);
    peakRssBytes = Math.max(
      peakRssBytes,
      tree.reduce((sum, pid) => sum + rssBytes(pid), 0),
    );
  };
  const timer = setInterval(sample, everyMs);
  return {
    get spawned() {
      return [...seen.values()];
    },
    get peakRssBytes() {
      return peakRssBytes;
    },
    stop: () => {
      sample();
      clearInterval(timer);
    },
  };
}

/** CPU seconds `pid` used, its own and that of the children it has waited for (/proc/<pid>/stat). */
export function cpuSeconds(pid: number, ticksPerSecond = 100): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime, stime, cutime, cstime are 14–17 overall.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0) / ticksPerSecond;
}
