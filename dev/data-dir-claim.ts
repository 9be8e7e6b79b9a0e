/**
 * One dev stack per data dir: a second stack on the same dir would share
 * Temporal's SQLite file, the tenants' state dirs and their supervisors.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StackError } from './stack-error.js';

/** Data dirs claimed by stacks in this process (tests start several stacks in one process). */
const claimedHere = new Set<string>();

/** Refuses a second stack on the same data dir; a stale pid file (dead process) is taken over. */
export async function claimDataDir(dataDir: string): Promise<() => Promise<void>> {
  const pidFile = join(dataDir, 'dev.pid');
  const owner = Number(await readFile(pidFile, 'utf8').catch(() => ''));
  const ownerAlive = (() => {
    if (!owner || owner === process.pid) return false;
    try {
      process.kill(owner, 0);
      return true;
    } catch {
      return false;
    }
  })();
  if (ownerAlive || claimedHere.has(dataDir))
    throw new StackError(
      `a dev stack (pid ${ownerAlive ? owner : process.pid}) already uses ${dataDir}; stop it or pass --data-dir`,
    );
  claimedHere.add(dataDir);
  await writeFile(pidFile, String(process.pid));
  return async () => {
    claimedHere.delete(dataDir);
    await rm(pidFile, { force: true });
  };
}
