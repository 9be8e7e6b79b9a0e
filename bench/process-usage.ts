/** CPU and memory of this machine's processes, read from /proc (Linux only). */
import { readdirSync, readFileSync } from 'node:fs';
import type { ProcessUsage } from './fleet-result.js';

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

/**
 * CPU and memory of the bench process, the Temporal dev server and
 * redis-server from now until `stop`, over a load phase of `loadMs`.
 */
export function startUsageMeter(): { stop(loadMs: number): Record<string, ProcessUsage> } {
  const pids = { temporal: childrenMatching('start-dev'), redis: childrenMatching('redis-server') };
  const before = {
    bench: process.cpuUsage(),
    temporal: pids.temporal.map((p) => sample(p).ticks),
    redis: pids.redis.map((p) => sample(p).ticks),
  };
  return {
    stop(loadMs) {
      const cpu = process.cpuUsage(before.bench);
      const ticks = (list: number[], was: number[]) =>
        list.reduce((s, p, i) => s + sample(p).ticks - (was[i] ?? 0), 0) / 100;
      const usage = (cpuSeconds: number, rssMb: number): ProcessUsage => ({
        cpuSeconds: Math.round(cpuSeconds * 10) / 10,
        cores: Math.round((cpuSeconds / (loadMs / 1000)) * 100) / 100,
        rssMb,
      });
      return {
        'bench process (worker, router, admin API, dynalite, s3rver)': usage(
          (cpu.user + cpu.system) / 1e6,
          Math.round(process.memoryUsage().rss / 1024 / 1024),
        ),
        'temporal dev server': usage(
          ticks(pids.temporal, before.temporal),
          pids.temporal.reduce((s, p) => s + sample(p).rssMb, 0),
        ),
        'redis-server': usage(
          ticks(pids.redis, before.redis),
          pids.redis.reduce((s, p) => s + sample(p).rssMb, 0),
        ),
      };
    },
  };
}
