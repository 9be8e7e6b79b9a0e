/**
 * Where a process tree's memory goes, from /proc (Linux only): per process its
 * RSS and PSS (smaps_rollup: PSS splits a shared page between the processes
 * mapping it, so summed PSS is the honest cost of a tenant, where summed RSS
 * counts the node binary and shared libraries once per process), anonymous
 * against file-backed pages, and per thread group the V8 heap the preload
 * `heap-probe.mjs` reports (one file per process and worker thread).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { descendants } from './stats.js';

export interface ProcessMemory {
  readonly pid: number;
  readonly name: string;
  readonly rssMb: number;
  readonly pssMb: number;
  /** Anonymous pages (V8 heaps, malloc, thread stacks), PSS share. */
  readonly pssAnonMb: number;
  /** File-backed pages (the node binary, shared libraries, mapped files), PSS share. */
  readonly pssFileMb: number;
  readonly threads: number;
}

/** What `heap-probe.mjs` wrote for one isolate (the main thread or a worker). */
export interface HeapReport {
  readonly pid: number;
  readonly threadId: number;
  readonly script: string;
  /** When it was written (ms since the epoch): a live isolate rewrites it every second. */
  readonly at: number;
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly spaces: { name: string; size: number; used: number }[];
}

const mb = (kb: number) => Math.round(kb / 1024);

function field(text: string, name: string): number {
  return Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
}

async function nameOf(pid: number): Promise<string> {
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  const script = argv.slice(1).find((a) => /\.(m?js|ts)$/.test(a));
  const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
  return script ? script.split('/').slice(-2).join('/') : comm || argv[0] || String(pid);
}

export async function processMemory(pid: number): Promise<ProcessMemory | null> {
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => null);
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  if (rollup === null || status === null) return null;
  return {
    pid,
    name: await nameOf(pid),
    rssMb: mb(field(rollup, 'Rss')),
    pssMb: mb(field(rollup, 'Pss')),
    pssAnonMb: mb(field(rollup, 'Pss_Anon')),
    pssFileMb: mb(field(rollup, 'Pss_File')),
    threads: Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 0),
  };
}

/** Every live process of the tree under `root`, largest PSS first. */
export async function treeMemory(root: number): Promise<ProcessMemory[]> {
  const rows = await Promise.all((await descendants(root)).map(processMemory));
  return rows.filter((r): r is ProcessMemory => r !== null).sort((a, b) => b.pssMb - a.pssMb);
}

export const totals = (rows: readonly ProcessMemory[]) => ({
  rssMb: rows.reduce((sum, r) => sum + r.rssMb, 0),
  pssMb: rows.reduce((sum, r) => sum + r.pssMb, 0),
  pssAnonMb: rows.reduce((sum, r) => sum + r.pssAnonMb, 0),
  pssFileMb: rows.reduce((sum, r) => sum + r.pssFileMb, 0),
});

/** Older than this, a report's isolate has ended (a worker terminated from outside leaves its file behind). */
const STALE_MS = 3_000;

/** The newest report of every isolate still alive (heap-probe.mjs rewrites its file every second). */
export async function heapReports(dir: string): Promise<HeapReport[]> {
  const files = await readdir(dir).catch(() => [] as string[]);
  const reports = await Promise.all(
    files
      .filter((f) => f.endsWith('.json'))
      .map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8').catch(() => 'null')) as HeapReport),
  );
  const alive = async (pid: number) => (await readFile(`/proc/${pid}/stat`).catch(() => null)) !== null;
  const now = Date.now();
  const live = await Promise.all(
    reports.map(async (r) => (r && now - r.at <= STALE_MS && (await alive(r.pid)) ? r : null)),
  );
  return live.filter((r): r is HeapReport => r !== null);
}
