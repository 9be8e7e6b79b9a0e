/**
 * Moves this process's stdout and stderr to a file: a host's warm supervisor,
 * once claimed, writes to its tenant's log like a supervisor spawned for it.
 *
 * Node cannot dup2, but open() always returns the lowest free descriptor:
 * closing fd 1 (then 2) and opening the log file puts the file there.
 * Nothing else opens files at that point; the result is checked all the same.
 */
import { closeSync, openSync } from 'node:fs';

export function redirectOutput(logFile: string): void {
  for (const fd of [1, 2]) {
    closeSync(fd);
    const opened = openSync(logFile, 'a', 0o600);
    if (opened !== fd) throw new Error(`output redirection got descriptor ${opened}, not ${fd}`);
  }
}
