/** CPU and memory of this machine's processes, read from /proc (Linux only). */
import { readdirSync, readFileSync } from 'node:fs';

/** CPU ticks (utime + stime) and RSS of a process from /proc. */
export function sample(pid: number): { ticks: number; rssMb: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
    return { ticks: Number(fields[11]) + Number(fields[12]), rssMb: Math.round(rssKb / 1024) };
  } catch {
    return { ticks: 0, rssMb: 0 };
  }
}

/** Children of this process whose command line mentions `needle` (the Temporal dev server, redis-server). */
export function childrenMatching(needle: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false;
      }
    });
}
