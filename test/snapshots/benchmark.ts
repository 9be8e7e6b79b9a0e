/**
 * Snapshot benchmark (not a mocha test; run `npx tsx test/snapshots/benchmark.ts`):
 * pack + encrypt + upload of a ~3 MB synthetic state dir against s3rver (target
 * ≤ 1 s), restore time, and zstd vs gzip size and time for the same archive.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { FileMasterKey } from '../../common/crypto.js';
import { packDirectory } from '../../snapshots/archive.js';
import { openSealed, sealDirectory, type Compression } from '../../snapshots/pipeline.js';
import { S3SnapshotStore } from '../../snapshots/s3-snapshot-store.js';
import { startS3 } from '../helpers/s3.js';
import { makeStateDir, tempDir } from './fixtures.js';

const RUNS = 7;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

/** The codecs alone on the same tar, in memory: no file I/O or encryption in the numbers. */
async function codecOnly(source: string): Promise<void> {
  const packed = packDirectory(source);
  const chunks: Buffer[] = [];
  for await (const chunk of packed.tar) chunks.push(chunk as Buffer);
  const tar = Buffer.concat(chunks);
  const codecs: [string, () => Buffer, (b: Buffer) => Buffer][] = [
    [
      'zstd 1',
      () => zlib.zstdCompressSync(tar, { params: { [zlib.constants.ZSTD_c_compressionLevel]: 1 } }),
      zlib.zstdDecompressSync,
    ],
    [
      'zstd 3',
      () => zlib.zstdCompressSync(tar, { params: { [zlib.constants.ZSTD_c_compressionLevel]: 3 } }),
      zlib.zstdDecompressSync,
    ],
    [
      'zstd 9',
      () => zlib.zstdCompressSync(tar, { params: { [zlib.constants.ZSTD_c_compressionLevel]: 9 } }),
      zlib.zstdDecompressSync,
    ],
    ['gzip 1', () => zlib.gzipSync(tar, { level: 1 }), zlib.gunzipSync],
    ['gzip 6', () => zlib.gzipSync(tar, { level: 6 }), zlib.gunzipSync],
    ['gzip 9', () => zlib.gzipSync(tar, { level: 9 }), zlib.gunzipSync],
  ];
  console.log(`\ncodec only, tar of ${(tar.length / 1e6).toFixed(2)} MB in memory (median of ${RUNS * 3})`);
  console.log('codec     size (MB)  ratio  compress ms  decompress ms');
  for (const [name, compress, decompress] of codecs) {
    const c: number[] = [];
    const d: number[] = [];
    let out: Buffer = Buffer.alloc(0);
    for (let i = 0; i < RUNS * 3; i++) {
      let start = process.hrtime.bigint();
      out = compress();
      c.push(ms(start));
      start = process.hrtime.bigint();
      decompress(out);
      d.push(ms(start));
    }
    const ratio = (tar.length / out.length).toFixed(2);
    console.log(
      `${name.padEnd(9)} ${(out.length / 1e6).toFixed(3).padStart(9)}  ${ratio.padStart(5)}  ${median(c).toFixed(1).padStart(11)}  ${median(d).toFixed(1).padStart(13)}`,
    );
  }
}

const dir = await tempDir('clawfleet-bench-');
const s3 = await startS3();
try {
  const source = join(dir.path, 'state');
  await mkdir(source);
  await makeStateDir(source, 3_000_000);
  const store = new S3SnapshotStore({
    s3: s3.client,
    bucket: s3.bucket,
    masterKey: await FileMasterKey.open(join(dir.path, 'master.key')),
  });
  // Warm-up (data key, connections, JIT); its manifest describes every later save too.
  const { manifest } = await store.save('bench', source, { openclawVersion: 'bench' });

  const saves: number[] = [];
  const restores: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let start = process.hrtime.bigint();
    await store.save('bench', source, { openclawVersion: 'bench' });
    saves.push(ms(start));
    start = process.hrtime.bigint();
    await store.restoreLatest('bench', join(dir.path, 'restored'));
    restores.push(ms(start));
  }
  console.log(
    `state: ${manifest.files} entries, ${(manifest.unpackedBytes / 1e6).toFixed(2)} MB durable content`,
  );
  console.log(
    `save (pack+zstd+encrypt+upload): median ${median(saves).toFixed(0)} ms, max ${Math.max(...saves).toFixed(0)} ms over ${RUNS} runs; object ${(manifest.size / 1e6).toFixed(2)} MB`,
  );
  console.log(
    `restoreLatest (download+verify+decrypt+extract+swap): median ${median(restores).toFixed(0)} ms`,
  );

  const key = { key: randomBytes(32), keyId: 'dk-0001', context: Buffer.from('bench') };
  const variants: [Compression, number][] = [
    ['zstd', 1],
    ['zstd', 3],
    ['zstd', 9],
    ['gzip', 1],
    ['gzip', 6],
    ['gzip', 9],
  ];
  console.log('\ncompression   size (MB)   seal ms (median)   open ms (median)');
  for (const [compression, level] of variants) {
    const seal: number[] = [];
    const open: number[] = [];
    let size = 0;
    for (let i = 0; i < RUNS; i++) {
      const out = join(dir.path, `body-${compression}-${level}-${i}`);
      let start = process.hrtime.bigint();
      size = (await sealDirectory(source, out, { ...key, compression, level })).size;
      seal.push(ms(start));
      const target = join(dir.path, `open-${compression}-${level}-${i}`);
      await mkdir(target);
      start = process.hrtime.bigint();
      await openSealed(out, target, { ...key, compression });
      open.push(ms(start));
      await rm(target, { recursive: true });
    }
    console.log(
      `${`${compression} ${level}`.padEnd(13)} ${(size / 1e6).toFixed(3).padStart(9)}   ${median(seal).toFixed(0).padStart(16)}   ${median(open).toFixed(0).padStart(16)}`,
    );
  }
  await codecOnly(source);
  if (median(saves) > 1000) process.exitCode = 1;
} finally {
  await s3.close();
  await dir.remove();
}
