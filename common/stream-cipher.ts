/**
 * Authenticated streaming encryption of bulk data under a data key:
 *
 *   header = "CFSE" | version u8 (1) | algorithm u8 (1 = AES-256-GCM) | chunk size log2 u8 (16)
 *            | keyId length u8 | keyId | nonce (12 bytes)
 *   body   = header | record* ; record = AES-256-GCM(64 KiB of plaintext, the last one shorter) | tag (16)
 *
 * Each record's additional data is the header, a caller-supplied context (e.g.
 * tenant id and snapshot seq), its index and a final flag, so a body moved to
 * another context, a header edit, reordering, truncation or extension all fail
 * authentication, and the decryptor releases only authenticated plaintext.
 */
import { createCipheriv, createDecipheriv, randomBytes, timingSafeEqual } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { DecryptionError, NONCE_BYTES, TAG_BYTES } from './crypto.js';

const MAGIC = Buffer.from('CFSE', 'ascii');
const FORMAT_VERSION = 1;
const ALG_AES_256_GCM = 1;
const CHUNK_LOG2 = 16;
const CHUNK_BYTES = 2 ** CHUNK_LOG2;

export interface StreamKey {
  readonly key: Buffer;
  /** Identifies the data key; written in the header, at most 255 ASCII characters. */
  readonly keyId: string;
  /** Bound into every tag, not stored: the reader must supply the same bytes. */
  readonly context: Buffer;
}

function encodeHeader(keyId: string, nonce: Buffer): Buffer {
  const id = Buffer.from(keyId, 'ascii');
  if (id.length === 0 || id.length > 255 || id.toString('ascii') !== keyId) {
    throw new TypeError('keyId must be 1-255 ASCII characters');
  }
  const fixed = Buffer.from([FORMAT_VERSION, ALG_AES_256_GCM, CHUNK_LOG2, id.length]);
  return Buffer.concat([MAGIC, fixed, id, nonce]);
}

/**
 * Seals or opens record `index` of a stream: nonce = header nonce XOR index,
 * additional data = header | context | index | final flag, so records cannot
 * be reordered, dropped, or cut at a record boundary without failing.
 */
function recordCipher(key: Buffer, header: Buffer, context: Buffer) {
  const baseNonce = header.subarray(-NONCE_BYTES);
  const params = (index: number, final: boolean) => {
    if (index >= 2 ** 32) throw new RangeError('stream too long for one nonce space (256 TiB)');
    const nonce = Buffer.from(baseNonce);
    nonce.writeUInt32BE((nonce.readUInt32BE(NONCE_BYTES - 4) ^ index) >>> 0, NONCE_BYTES - 4);
    const position = Buffer.alloc(9);
    position.writeBigUInt64BE(BigInt(index));
    position[8] = final ? 1 : 0;
    return { nonce, aad: Buffer.concat([header, context, position]) };
  };
  return {
    seal(plain: Buffer, index: number, final: boolean): Buffer {
      const { nonce, aad } = params(index, final);
      const cipher = createCipheriv('aes-256-gcm', key, nonce).setAAD(aad);
      return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    },
    open(record: Buffer, index: number, final: boolean): Buffer {
      const { nonce, aad } = params(index, final);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, nonce).setAAD(aad);
        decipher.setAuthTag(record.subarray(-TAG_BYTES));
        return Buffer.concat([decipher.update(record.subarray(0, -TAG_BYTES)), decipher.final()]);
      } catch (err) {
        const what = final ? 'final record' : `record ${index}`;
        throw new DecryptionError(
          `${what} does not authenticate (tampered, truncated, wrong key or wrong context)`,
          {
            cause: err,
          },
        );
      }
    },
  };
}

/** A Transform that turns plaintext into header | records, each record `ciphertext | tag` of a 64 KiB chunk. */
export function createEncryptStream({ key, keyId, context }: StreamKey): Transform {
  const header = encodeHeader(keyId, randomBytes(NONCE_BYTES));
  const records = recordCipher(key, header, context);
  const pending = new ByteQueue();
  let index = 0;
  let headerSent = false;
  const start = (): Buffer[] => (headerSent ? [] : ((headerSent = true), [header]));
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      pending.push(chunk);
      const out = start();
      // Keep at least one byte back: only flush knows which record is final.
      while (pending.length > CHUNK_BYTES) out.push(records.seal(pending.take(CHUNK_BYTES), index++, false));
      callback(null, Buffer.concat(out));
    },
    flush(callback: TransformCallback) {
      callback(null, Buffer.concat([...start(), records.seal(pending.take(pending.length), index, true)]));
    },
  });
}

/**
 * A Transform that checks the header (format, key id) and releases plaintext
 * only record by record, each after its tag authenticated: nothing
 * unauthenticated reaches the decompressor or the tar parser.
 */
export function createDecryptStream({ key, keyId, context }: StreamKey): Transform {
  const pending = new ByteQueue();
  let records: ReturnType<typeof recordCipher> | undefined;
  let recordBytes = 0;
  let index = 0;
  const start = (): void => {
    const idLength = pending.peek()[MAGIC.length + 3];
    if (idLength === undefined) return;
    const headerLength = MAGIC.length + 4 + idLength + NONCE_BYTES;
    if (pending.length < headerLength) return;
    const header = pending.take(headerLength);
    if (!header.subarray(0, MAGIC.length).equals(MAGIC))
      throw new DecryptionError('not an encrypted clawfleet stream');
    const [version, algorithm, chunkLog2] = header.subarray(MAGIC.length, MAGIC.length + 3);
    if (version !== FORMAT_VERSION || algorithm !== ALG_AES_256_GCM || chunkLog2 !== CHUNK_LOG2) {
      throw new DecryptionError(
        `unsupported format (version ${version}, algorithm ${algorithm}, chunk 2^${chunkLog2})`,
      );
    }
    const id = header.subarray(MAGIC.length + 4, MAGIC.length + 4 + idLength);
    const expected = Buffer.from(keyId, 'ascii');
    if (id.length !== expected.length || !timingSafeEqual(id, expected)) {
      throw new DecryptionError(
        `encrypted with key ${JSON.stringify(id.toString('ascii'))}, expected ${JSON.stringify(keyId)}`,
      );
    }
    records = recordCipher(key, Buffer.from(header), context);
    recordBytes = CHUNK_BYTES + TAG_BYTES;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        pending.push(chunk);
        if (!records) start();
        if (!records) return callback();
        const out: Buffer[] = [];
        // A full record followed by more bytes is not the final one.
        while (pending.length > recordBytes)
          out.push(records.open(pending.take(recordBytes), index++, false));
        callback(null, Buffer.concat(out));
      } catch (err) {
        callback(err as Error);
      }
    },
    flush(callback: TransformCallback) {
      if (!records || pending.length < TAG_BYTES) return callback(new DecryptionError('stream is truncated'));
      try {
        callback(null, records.open(pending.take(pending.length), index, true));
      } catch (err) {
        callback(err as Error);
      }
    },
  });
}

/** Incoming chunks, joined only when bytes are taken: small writes cost O(1), not a copy of everything buffered. */
class ByteQueue {
  private parts: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    this.parts.push(chunk);
    this.length += chunk.length;
  }

  /** Everything buffered, as one buffer, without removing it. */
  peek(): Buffer {
    if (this.parts.length > 1) this.parts = [Buffer.concat(this.parts)];
    return this.parts[0] ?? Buffer.alloc(0);
  }

  /** Remove and return the first `n` bytes (`n` ≤ length). */
  take(n: number): Buffer {
    const all = this.peek();
    const rest = all.subarray(n);
    this.parts = rest.length > 0 ? [rest] : [];
    this.length = rest.length;
    return all.subarray(0, n);
  }
}
