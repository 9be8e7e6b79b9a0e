/**
 * Finds and kills every process that belongs to one tenant directory. OpenClaw
 * runs in its own process group (and its spawn broker in its own session), so
 * killing the supervisor's group is not enough after a SIGKILL; but every
 * process of a tenant carries the tenant's root directory in its environment
 * (HOME, TMPDIR, OPENCLAW_STATE_DIR), which /proc shows us. Linux only, like
 * the local runtime itself.
 */
import { readdir, readFile } from 'node:fs/promises';

/** Pids (other than ours) whose environment mentions the path `marker`. */
export async function processesMentioning(marker: string): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const needle = Buffer.from(marker);
  const found = await Promise.all(
    pids.map(async (pid) => {
      if (pid === process.pid) return undefined;
      const environ = await readFile(`/proc/${pid}/environ`).catch(() => undefined);
      return environ && mentionsPath(environ, needle) ? pid : undefined;
    }),
  );
  return found.filter((pid): pid is number => pid !== undefined);
}

/**
 * The marker as a whole path: followed by the end of a variable, a `/` or a
 * `:`, so `<tenants>/acme` does not match a process of `<tenants>/acme-2`.
 */
function mentionsPath(environ: Buffer, needle: Buffer): boolean {
  for (let at = environ.indexOf(needle); at >= 0; at = environ.indexOf(needle, at + 1)) {
    const next = environ[at + needle.length];
    if (next === undefined || next === 0 || next === 0x2f || next === 0x3a) return true;
  }
  return false;
}

/** SIGKILL every process of the tenant directory; resolves once they are gone (or after 5 s). */
export async function killProcessesOf(marker: string): Promise<number[]> {
  const pids = await processesMentioning(marker);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline && (await anyAlive(pids))) await new Promise((r) => setTimeout(r, 50));
  return pids;
}

/**
 * A zombie counts as gone: it holds no memory, files or ports, and it is its
 * parent's (or PID 1's) to reap, which may take seconds or, where PID 1 never
 * reaps, forever.
 */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

async function anyAlive(pids: number[]): Promise<boolean> {
  return (await Promise.all(pids.map(alive))).some(Boolean);
}
