/**
 * The few S3 operations the snapshot store needs, with the two portability
 * rules learned against s3rver and real S3 in one place:
 * - every PUT carries its own ChecksumSHA256, so the SDK sends the body as is
 *   (without one it streams `aws-chunked` with a CRC trailer, which s3rver
 *   stores verbatim) and real S3 verifies the upload end to end;
 * - create-only PUTs send `If-None-Match: *` (atomic on S3), preceded by a HEAD
 *   because s3rver ignores the condition (best effort there).
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type Readable } from 'node:stream';
import { SnapshotStorageError } from './errors.js';

export interface Bucket {
  readonly s3: S3Client;
  readonly name: string;
}

/** A body to upload: bytes, or a spooled file with its precomputed size and hex sha256. */
export type PutBody = Buffer | { readonly path: string; readonly size: number; readonly sha256: string };

interface AwsErrorLike {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

export function isNotFound(err: unknown): boolean {
  const e = err as AwsErrorLike;
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

function isConditionFailed(err: unknown): boolean {
  const e = err as AwsErrorLike;
  const status = e.$metadata?.httpStatusCode;
  return (
    e.name === 'PreconditionFailed' ||
    e.name === 'ConditionalRequestConflict' ||
    status === 412 ||
    status === 409
  );
}

export async function exists(bucket: Bucket, key: string): Promise<boolean> {
  try {
    await bucket.s3.send(new HeadObjectCommand({ Bucket: bucket.name, Key: key }));
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** PUT only if `key` does not exist; false when it already did (nothing was written). */
export async function putIfAbsent(
  bucket: Bucket,
  key: string,
  body: PutBody,
  contentType: string,
): Promise<boolean> {
  if (await exists(bucket, key)) return false;
  const isBuffer = Buffer.isBuffer(body);
  const sha256Hex = isBuffer ? createHash('sha256').update(body).digest('hex') : body.sha256;
  try {
    await bucket.s3.send(
      new PutObjectCommand({
        Bucket: bucket.name,
        Key: key,
        Body: isBuffer ? body : createReadStream(body.path),
        ContentLength: isBuffer ? body.length : body.size,
        ContentType: contentType,
        ChecksumSHA256: Buffer.from(sha256Hex, 'hex').toString('base64'),
        IfNoneMatch: '*',
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailed(err)) return false;
    throw err;
  }
}

/** The object's bytes, or undefined if it does not exist. For small objects (manifests, key records). */
export async function getSmall(bucket: Bucket, key: string): Promise<Buffer | undefined> {
  try {
    const out = await bucket.s3.send(new GetObjectCommand({ Bucket: bucket.name, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The object as a stream, or undefined if it does not exist. */
export async function getStream(bucket: Bucket, key: string): Promise<Readable | undefined> {
  try {
    const out = await bucket.s3.send(new GetObjectCommand({ Bucket: bucket.name, Key: key }));
    return out.Body as Readable;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Every key under `prefix`, with sizes, across all pages. */
export async function listKeys(bucket: Bucket, prefix: string): Promise<{ key: string; size: number }[]> {
  const keys: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await bucket.s3.send(
      new ListObjectsV2Command({ Bucket: bucket.name, Prefix: prefix, ContinuationToken: token }),
    );
    for (const item of page.Contents ?? []) if (item.Key) keys.push({ key: item.Key, size: item.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** Delete keys in batches of 1000 (the S3 limit); throws if S3 reports any failure. */
export async function deleteKeys(bucket: Bucket, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    const out = await bucket.s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket.name,
        Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
      }),
    );
    const failed = out.Errors ?? [];
    if (failed.length > 0) {
      throw new SnapshotStorageError(
        `S3 refused to delete ${failed.length} object(s), first ${failed[0]?.Key}: ${failed[0]?.Message}`,
      );
    }
  }
}
