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
 * symlink under the slot uid's name. The entries must be world-readable and
 * the mount is read-only inside: the tenant reads the worker's cache and
 * cannot change it. The warm-up made them readable, but Node writes every
 * new or rewritten entry with mode 600 whatever the umask, and the worker's
 * own user runs OpenClaw too (unsandboxed tenants, the CLI, tests), so a
 * linked directory is made readable again whenever it changed since the last
 * time (one stat per directory when nothing changed).
 */
import { chmod, lstat, readdir, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Each tag directory's mtime when its entries were last made readable here. */
const readableAsOf = new Map<string, number>();

/** Gives every entry of `dir` that others cannot read mode 644, if `dir` changed since this process last did. */
async function keepReadable(dir: string): Promise<void> {
  const changed = await stat(dir).then(
    (s) => s.mtimeMs,
    () => undefined,
  );
  if (changed === undefined || readableAsOf.get(dir) === changed) return;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const path = join(dir, name);
    const entry = await stat(path).catch(() => undefined); // renamed away meanwhile: a temporary file
    if (entry?.isFile() && (entry.mode & 0o004) === 0)
      await chmod(path, 0o644).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
  }
  readableAsOf.set(dir, changed);
}

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
    await keepReadable(join(cacheDir, name));
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
