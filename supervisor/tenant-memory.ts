/**
 * The tenant's resident memory as `GET /activity` reports it: the summed RSS
 * of the supervisor and of OpenClaw's whole process tree (the gateway, its
 * worker threads, the spawn broker, the SQLite helper), read from /proc at
 * the moment of asking. Summed RSS counts shared file pages (the node binary)
 * once per process, so it overstates the tenant's share of the host a little
 * (`npm run bench:memory` reports PSS beside it); it is the figure the tier's
 * recycle limit is set against. Off Linux it reads 0.
 */
import { readdirSync, readFileSync } from 'node:fs';

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // the process ended between the listing and the read
  }
}

/** `pid` and every live descendant, through /proc/<pid>/task/<tid>/children. */
export function processTree(pid: number): number[] {
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    tree.push(next);
    for (const task of listTasks(next))
      queue.push(...read(`/proc/${next}/task/${task}/children`).split(/\s+/).filter(Boolean).map(Number));
  }
  return tree;
}

function listTasks(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
}

/** Summed VmRSS of these processes, in MiB. */
export function residentMb(pids: readonly number[]): number {
  let kb = 0;
  for (const pid of pids) kb += Number(/^VmRSS:\s+(\d+) kB/m.exec(read(`/proc/${pid}/status`))?.[1] ?? 0);
  return Math.round(kb / 1024);
}
