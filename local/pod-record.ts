/**
 * A local pod's record on disk (`<tenant dir>/pod.json`, mode 600): what a
 * later runtime needs to adopt the supervisor after a worker restart: the
 * pod's spec (names and numbers only, never a secret value), its slot and
 * endpoint, and the pid with its start time, so a reused pid is never taken
 * for the supervisor. The supervisor token is not here: an adopting worker
 * resolves it from the secret store, like the Kubernetes runtime does.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PodSpec } from '../activities/ports.js';
import { isSameProcess } from './process-identity.js';

export interface PodRecord extends PodSpec {
  readonly slot: number;
  readonly endpoint: string;
  readonly pid: number;
  readonly startTime: string;
}

const FILE = 'pod.json';
/**
 * Written once the pod has served (its gateway was ready): only then is what
 * its state dir holds worth salvaging when a later runtime finds it dead. A
 * supervisor that died mid-restore left a partial state dir, never a snapshot.
 */
export const SERVED_MARK = 'pod.served';

export async function writePodRecord(rootDir: string, record: PodRecord): Promise<void> {
  await writeFile(join(rootDir, FILE), JSON.stringify(record), { mode: 0o600 });
}

export async function removePodRecord(rootDir: string): Promise<void> {
  await rm(join(rootDir, FILE), { force: true });
  await rm(join(rootDir, SERVED_MARK), { force: true });
}

/** Removes the record only while it still names `podId` (a newer launch's record stays). */
export async function removePodRecordOf(rootDir: string, podId: string): Promise<void> {
  const text = await readFile(join(rootDir, FILE), 'utf8').catch(() => null);
  if (text !== null && parseRecord(text)?.podId === podId) await removePodRecord(rootDir);
}

export async function markServed(rootDir: string): Promise<void> {
  await writeFile(join(rootDir, SERVED_MARK), '', { mode: 0o600 });
}

export async function wasServed(rootDir: string): Promise<boolean> {
  return readFile(join(rootDir, SERVED_MARK)).then(
    () => true,
    () => false,
  );
}

/** Every tenant dir under `<dataDir>/tenants`, with its record when it has a readable one. */
export async function tenantDirs(dataDir: string): Promise<{ rootDir: string; record: PodRecord | null }[]> {
  const base = join(dataDir, 'tenants');
  const names = await readdir(base).catch(() => [] as string[]);
  return Promise.all(
    names.map(async (name) => {
      const rootDir = join(base, name);
      const text = await readFile(join(rootDir, FILE), 'utf8').catch(() => null);
      return { rootDir, record: text === null ? null : parseRecord(text) };
    }),
  );
}

function parseRecord(text: string): PodRecord | null {
  try {
    const record = JSON.parse(text) as Partial<PodRecord>;
    const complete =
      typeof record.podId === 'string' &&
      typeof record.tenantId === 'string' &&
      typeof record.slot === 'number' &&
      typeof record.endpoint === 'string' &&
      typeof record.pid === 'number' &&
      typeof record.startTime === 'string';
    return complete ? (record as PodRecord) : null;
  } catch {
    return null;
  }
}

/** A live supervisor of the record's pid (not a reused one) whose gateway answers ready. */
export async function isServing(record: PodRecord): Promise<boolean> {
  if (!isSameProcess(record.pid, record.startTime)) return false;
  const answer = await fetch(`${record.endpoint}/readyz`, { signal: AbortSignal.timeout(5_000) }).catch(
    () => null,
  );
  return answer?.status === 200;
}

export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone already
  }
}
