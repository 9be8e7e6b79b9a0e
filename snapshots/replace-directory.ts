/**
 * The staging-then-swap that puts a restored state dir in place: a restore
 * that fails halfway leaves the old state dir exactly as it was.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * Fill a fresh staging directory next to `targetDir` with `fill`, then swap it
 * into place. A failure leaves `targetDir` exactly as it was; success replaces
 * it whole. Staging is a sibling so the swap is a rename on one filesystem.
 */
export async function replaceDirectory<T>(
  targetDir: string,
  fill: (stagingDir: string) => Promise<T>,
): Promise<T> {
  const target = resolve(targetDir);
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const staging = await mkdtemp(join(parent, `.${basename(target)}.restore-`));
  let result: T;
  try {
    await chmod(staging, 0o700);
    result = await fill(staging);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  const old = join(parent, `.${basename(target)}.old-${randomBytes(6).toString('hex')}`);
  const movedAside = await rename(target, old).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false;
      throw err;
    },
  );
  await rename(staging, target);
  if (movedAside) await rm(old, { recursive: true, force: true });
  return result;
}
