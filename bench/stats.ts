/**
 * Shared by the benchmarks: median and interquartile range, and what a
 * process tree costs (CPU time and RSS, from /proc).
 */
import { readdir, readFile } from 'node:fs/promises';

const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux
export const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  return sorted[lo]! + (sorted[Math.ceil(pos)]! - sorted[lo]!) * (pos - lo);
};
export const summary = (values: number[]) => ({
  median: Math.round(quantile(values, 0.5)),
  q1: Math.round(quantile(values, 0.25)),
  q3: Math.round(quantile(values, 0.75)),
});

export async function descendants(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const kids: number[] = [];
  for (const task of tasks) {
    const text = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '');
    kids.push(...text.split(/\s+/).filter(Boolean).map(Number));
  }
  return [pid, ...(await Promise.all(kids.map(descendants))).flat()];
}

/** CPU ms (utime + stime) and RSS MB summed over the process tree. */
export async function treeUsage(pid: number): Promise<{ cpuMs: number; rssMb: number }> {
  return usageOf(await descendants(pid));
}

/** CPU ms (utime + stime) and RSS MB summed over these processes. */
export async function usageOf(pids: readonly number[]): Promise<{ cpuMs: number; rssMb: number }> {
  let cpuMs = 0;
  let rssKb = 0;
  for (const p of pids) {
    const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    cpuMs += (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * CLOCK_TICK_MS;
    const status = await readFile(`/proc/${p}/status`, 'utf8').catch(() => '');
    rssKb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  }
  return { cpuMs, rssMb: Math.round(rssKb / 1024) };
}

/** RSS MB of each process, named by its command line's script (or binary). */
export async function rssByProcess(pids: readonly number[]): Promise<{ name: string; rssMb: number }[]> {
  const rows = await Promise.all(
    pids.map(async (pid) => {
      const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
      const script = argv.slice(1).find((a) => /\.(m?js|ts)$/.test(a)) ?? argv[0] ?? String(pid);
      return { name: script.split('/').slice(-2).join('/'), rssMb: (await usageOf([pid])).rssMb };
    }),
  );
  return rows.sort((a, b) => b.rssMb - a.rssMb);
}

/** Polls `probe` every `everyMs` until it holds; throws naming `what` after `timeoutMs`. */
export async function pollUntil(
  what: string,
  timeoutMs: number,
  everyMs: number,
  probe: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
