/**
 * Moving snapshot bodies between S3 and local spool files: a download is
 * checked against its manifest's size and sha256 before anyone decrypts it,
 * and every spool directory is removed whatever happens.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ClawfleetError } from '../common/errors.js';
import { SnapshotCorruptError } from './errors.js';
import * as layout from './manifest.js';
import type { SnapshotObjects } from './object-access.js';

/** Download the body to `path`, checking size and sha256 against the manifest before anyone decrypts it. */
export async function downloadVerified(
  objects: SnapshotObjects,
  manifest: layout.SnapshotManifest,
  path: string,
): Promise<void> {
  const { tenantId, seq } = manifest;
  const body = await objects.getStream(layout.bodyKey(tenantId, seq));
  if (!body) throw new SnapshotCorruptError(tenantId, seq, 'body is missing');
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > manifest.size)
        return callback(new SnapshotCorruptError(tenantId, seq, 'body is larger than its manifest says'));
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  await pipeline(body, meter, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  const sha256 = hash.digest('hex');
  if (size !== manifest.size || sha256 !== manifest.sha256) {
    throw new SnapshotCorruptError(
      tenantId,
      seq,
      `body does not match its manifest (size ${size}, sha256 ${sha256.slice(0, 12)}…)`,
    );
  }
}

/** Run `fn` with a fresh private directory under `spoolDir` (default: the OS temp dir), removed afterwards. */
export async function withSpool<T>(
  spoolDir: string | undefined,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(spoolDir ?? tmpdir(), 'clawfleet-snapshot-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Decoding errors that are not ours and not local I/O (zstd, tar parser) mean the snapshot is bad. */
export function asDecodeFailure(tenantId: string, seq: number, err: unknown): unknown {
  if (err instanceof ClawfleetError) return err;
  if (typeof (err as { syscall?: unknown }).syscall === 'string') return err;
  return new SnapshotCorruptError(tenantId, seq, `cannot decode: ${(err as Error).message}`, { cause: err });
}
