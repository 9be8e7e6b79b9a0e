/**
 * The shared V8 compile cache (supervisor/trimmed-boot.ts) for a sandbox's
 * uid. Node reads and writes the cache in `<NODE_COMPILE_CACHE>/<tag>-<uid>`:
 * the tag is Node's version, arch and V8's flag hash, the uid is `getuid()`
 * (src/compile_cache.cc, "different folders for different users"). The cache
 * is warmed by the worker's user (dev/openclaw-compile-cache.ts), and a
 * sandbox runs as its slot's uid and sees the install read-only, so without
 * its own directory every sandboxed OpenClaw boot compiled all its code
 * again and could not keep any of it: 16 k entries, ~7 s of a cold wake
 * (docs/benchmarks.md, "Issue 19: the sandboxed cold wake").
 *
 * So before a sandbox starts, each of the worker's tag directories gets a
 * symlink under the slot uid's name. The entries are world-readable (the
 * warm-up made them so) and the mount is read-only inside: the tenant reads
 * the worker's cache and cannot change it.
 */
import { lstat, readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Links `<tag>-<uid>` to `<tag>-<worker uid>` in `cacheDir` for every tag the
 * worker's user has there; returns the links made. A name that exists already
 * (a link made before, or a directory) is left as it is; a missing cache
 * makes no links.
 */
export async function linkCompileCache(
  cacheDir: string,
  uid: number,
  ownerUid = process.getuid?.() ?? 0,
): Promise<string[]> {
  const suffix = `-${ownerUid}`;
  const names = await readdir(cacheDir).catch(() => [] as string[]);
  const made: string[] = [];
  for (const name of names) {
    if (!name.endsWith(suffix)) continue;
    const link = `${name.slice(0, -suffix.length)}-${uid}`;
    if (names.includes(link)) continue;
    const path = join(cacheDir, link);
    const exists = await lstat(path).then(
      () => true,
      () => false,
    );
    if (exists) continue;
    // Relative: the install may be renamed into place or mounted elsewhere.
    await symlink(name, path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error; // another stack linked it just now
    });
    made.push(link);
  }
  return made;
}
