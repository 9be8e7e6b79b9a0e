/**
 * The first platform token: `clawfleet admin init` and (on the embedded
 * stack) the admin API's start write it to `<dataDir>/keys/admin.token`
 * (mode 600), where the CLI finds it, so `npm run dev` then `clawfleet
 * tenant list` works with no set-up. A file whose token still verifies is
 * kept; a missing or stale one (tables reset, token revoked) is replaced.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AdminTokenStore } from './token-store.js';

export interface BootstrapResult {
  readonly path: string;
  readonly created: boolean;
  readonly tokenId: string;
}

export async function ensurePlatformTokenFile(
  store: AdminTokenStore,
  path: string,
): Promise<BootstrapResult> {
  const existing = await readFile(path, 'utf8').then(
    (text) => text.trim(),
    () => '',
  );
  const valid = existing ? await store.verify(existing) : null;
  if (valid?.scope === 'platform') return { path, created: false, tokenId: valid.tokenId };
  const { info, token } = await store.create('platform', 'bootstrap');
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // Write then rename: a reader never sees a half-written token, and the mode is 600 from the start.
  const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, `${token}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(temp, 0o600);
  await rename(temp, path);
  return { path, created: true, tokenId: info.tokenId };
}
