/**
 * The last step of a stack's end: every mount still under its data dir goes.
 *
 * A worker that stops hands its tenants over (they keep running for the next
 * worker), so it leaves their disk images (tenant-disks.ts) and the pre-built
 * sandboxes' shared mount points (slot-mount.ts) mounted. Once the stack has
 * drained and ended every tenant process (release-tenants.ts), nothing uses
 * them: a mount left behind would hold a loop device and make the data dir
 * impossible to remove.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { runCommand } from '../../dev/run-command.js';

/**
 * The runtime's own mount points under a data dir (its `tenants/` and
 * `sandboxes/`), deepest first: never the data dir itself, which may well be
 * the operator's volume. Mountinfo escapes spaces and the like as octal.
 */
export async function mountsUnder(dataDir: string): Promise<string[]> {
  const owned = ['tenants', 'sandboxes'].map((sub) => `${resolve(dataDir)}/${sub}/`);
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  const points = mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    .map((point) =>
      point.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))),
    )
    .filter((point) => owned.some((prefix) => point.startsWith(prefix)));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Unmounts them all; lazily, since no process of the stack is left to hold one. */
export async function unmountUnder(dataDir: string): Promise<void> {
  for (const point of await mountsUnder(dataDir))
    await runCommand('umount', ['--lazy', point], { timeoutMs: 10_000 }).catch(() => undefined);
}
