/**
 * Telling a process from a later one that got the same pid: Linux's start
 * time of a process (field 22 of /proc/<pid>/stat, in clock ticks since
 * boot) never changes for its life and differs for a reused pid.
 */
import { readFileSync } from 'node:fs';

/** The start time of `pid`, or null when there is no such process. */
export function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    if (state === 'Z' || state === 'X') return null; // a zombie has exited already
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** True while the process that had `startTime` still runs under `pid`. */
export function isSameProcess(pid: number, startTime: string): boolean {
  return startTimeOf(pid) === startTime;
}
