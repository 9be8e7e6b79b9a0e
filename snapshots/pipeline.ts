/**
 * The local halves of a snapshot, without S3: seal a directory into an
 * encrypted file (tar → zstd → AES-256-GCM → sha256 meter → file) and open
 * such a file into a fresh directory (file → decrypt → unzstd → safe extract).
 * Streams end to end; memory use does not grow with the state size.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGunzip, createGzip, createZstdCompress, createZstdDecompress } from 'node:zlib';
import { createDecryptStream, createEncryptStream, type StreamKey } from '../common/stream-cipher.js';
import { ClawfleetError } from '../common/errors.js';
import { packDirectory, type PackOptions, type PackStats } from './archive.js';
import { DEFAULT_LIMITS, extractTar, type ArchiveLimits, type ExtractStats } from './extract.js';

export type Compression = 'zstd' | 'gzip';

export interface SealOptions extends StreamKey {
  readonly pack?: PackOptions;
  /** @default 'zstd' (gzip exists for comparison; the store always uses zstd) */
  readonly compression?: Compression;
  /** zstd level 1-19 or gzip level 1-9. @default 3 for zstd, 6 for gzip */
  readonly level?: number;
}

export interface SealedFile {
  readonly path: string;
  /** Bytes written, and their hex sha256: what S3 will store. */
  readonly size: number;
  readonly sha256: string;
  readonly pack: PackStats;
}

/** Pack, compress and encrypt `sourceDir` into the new file `outPath` (mode 600). */
export async function sealDirectory(
  sourceDir: string,
  outPath: string,
  options: SealOptions,
): Promise<SealedFile> {
  const packed = packDirectory(sourceDir, options.pack);
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  await pipeline(
    packed.tar,
    compressor(options.compression ?? 'zstd', options.level),
    createEncryptStream(options),
    meter,
    createWriteStream(outPath, { flags: 'wx', mode: 0o600 }),
  );
  return { path: outPath, size, sha256: hash.digest('hex'), pack: await packed.done };
}

export interface OpenOptions extends StreamKey {
  /** @default DEFAULT_LIMITS */
  readonly limits?: ArchiveLimits;
  /** @default 'zstd' */
  readonly compression?: Compression;
}

/**
 * Decrypt, decompress and extract the sealed file at `path` into the fresh
 * directory `dir`. Resolves only after the GCM tag authenticated the whole
 * stream; on rejection `dir` holds unauthenticated debris and must be discarded.
 */
export async function openSealed(path: string, dir: string, options: OpenOptions): Promise<ExtractStats> {
  const tar = new PassThrough();
  const decoding = pipeline(
    createReadStream(path),
    createDecryptStream(options),
    decompressor(options.compression ?? 'zstd'),
    tar,
  );
  const [decoded, extracted] = await Promise.allSettled([
    decoding,
    extractTar(tar, dir, options.limits ?? DEFAULT_LIMITS),
  ]);
  if (decoded.status === 'fulfilled' && extracted.status === 'fulfilled') return extracted.value;
  // Both sides fail when one does; report the cause, not the "premature close" it left on the other side.
  const reasons = [decoded, extracted].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  const prematureClose = (r: unknown) => (r as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE';
  throw (
    reasons.find((r) => r instanceof ClawfleetError) ?? reasons.find((r) => !prematureClose(r)) ?? reasons[0]
  );
}

function compressor(compression: Compression, level?: number): Transform {
  if (compression === 'gzip') return createGzip({ level: level ?? 6 });
  return createZstdCompress({ params: { [constants.ZSTD_c_compressionLevel]: level ?? 3 } });
}

function decompressor(compression: Compression): Transform {
  return compression === 'gzip' ? createGunzip() : createZstdDecompress();
}
