/**
 * The CPU weight of the group every sandbox's cpu group sits in
 * (`/sys/fs/cgroup/cpu/clawfleet`). The kernel creates it with the default
 * weight, cpu.shares 1024: all the tenants of a host together then weigh as
 * much as one host process, and each tier's cpu.shares (limits.ts: "1024 =
 * one host process") only splits that one share among tenants. On a busy
 * host a waking tenant got 3.5 CPU-seconds in 148 s (2 % of a core) while the
 * host's processes took the rest; OpenClaw's boot needs about 12, so its
 * wake took minutes and the gateway's own startup lease timed out (exit 78).
 *
 * So the parent weighs what its sandboxes in use weigh together, and a
 * tier's weight means what limits.ts says. Every sandbox created or removed
 * sets it again from the groups that hold processes then (plus the one being
 * created, still empty), whichever stack on the host made them: empty
 * leftovers and pre-built groups do not count. Two stacks writing at once
 * leave a sum at most one group out of date, until the next change.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** cgroup v1 bounds of cpu.shares. */
const MIN_SHARES = 2;
const MAX_SHARES = 262_144;
const DEFAULT_SHARES = 1024;

/**
 * Sets `<parentDir>/cpu.shares` to the sum of its child groups' that hold a
 * process, or are `starting` (the default when none); returns it.
 */
export async function balanceParentWeight(parentDir: string, starting?: string): Promise<number> {
  const entries = await readdir(parentDir, { withFileTypes: true });
  let total = 0;
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const group = join(parentDir, entry.name);
    // A group removed between the listing and these reads weighs nothing.
    const procs = await readFile(join(group, 'cgroup.procs'), 'utf8').catch(() => '');
    if (entry.name !== starting && procs.trim() === '') continue;
    const text = await readFile(join(group, 'cpu.shares'), 'utf8').catch(() => '0');
    total += Number(text.trim()) || 0;
  }
  const shares = total === 0 ? DEFAULT_SHARES : Math.min(MAX_SHARES, Math.max(MIN_SHARES, total));
  await writeFile(join(parentDir, 'cpu.shares'), String(shares));
  return shares;
}
