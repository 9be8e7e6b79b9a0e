/** A local tenant's directory, `<dataDir>/tenants/<id>`, made ready for a wake. */
import { chmod, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SERVED_MARK } from './pod-record.js';

/** Mode 700, and only `logs/` survives between wakes: the snapshot is the source of truth. */
export async function prepareTenantDir(rootDir: string): Promise<void> {
  await mkdir(rootDir, { recursive: true, mode: 0o700 });
  await chmod(rootDir, 0o700);
  for (const sub of ['state', 'work', 'tmp', 'home', 'spec.json', 'pod.json', SERVED_MARK])
    await rm(join(rootDir, sub), { recursive: true, force: true });
  await mkdir(join(rootDir, 'logs'), { recursive: true, mode: 0o700 });
}
