/**
 * Small probes of the telemetry test: polling, Prometheus text, and the
 * processes of a tenant's sandbox.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { processesMentioning } from '../../local/process-sweep.js';

export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`never happened within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function scrape(url: string, token?: string): Promise<string> {
  const response = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  assert.equal(response.status, 200, url);
  return response.text();
}

/** The value of one series in Prometheus text, 0 when it is absent. */
export function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** Processes of the tenant's sandbox (its directory is in their environment) whose command line names `what`. */
export async function processesOf(dataDir: string, tenantId: string, what: string): Promise<number[]> {
  const pids = await processesMentioning(join(dataDir, 'tenants', tenantId));
  const found: number[] = [];
  for (const pid of pids) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
    if (comm !== 'bwrap' && cmdline.includes(what)) found.push(pid);
  }
  return found;
}
