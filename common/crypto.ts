/**
 * Envelope encryption. A master key (a key file in dev, a KMS key in
 * production) only ever wraps small data keys; data keys (AES-256, one per
 * tenant) encrypt bulk data as an authenticated stream (stream-cipher.ts).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ClawfleetError } from './errors.js';

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const DATA_KEY_BYTES = 32;

/** Authentication failed: tampered or truncated data, the wrong key, or the wrong context. Fails closed. */
export class DecryptionError extends ClawfleetError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super('DECRYPT_FAILED', `decryption failed: ${reason}`, options);
  }
}

/** The master key is missing, malformed, too widely readable, or not the one that wrapped a data key. */
export class MasterKeyError extends ClawfleetError {
  readonly masterKeyId: string;

  constructor(masterKeyId: string, reason: string, options?: { cause?: unknown }) {
    super('MASTER_KEY_INVALID', `master key ${masterKeyId}: ${reason}`, options);
    this.masterKeyId = masterKeyId;
  }
}

/** Non-secret facts a wrapped key is bound to (KMS calls this the encryption context). */
export type KeyContext = Readonly<Record<string, string>>;

/** A data key as stored: useless without the master key named by `masterKeyId`. */
export interface WrappedDataKey {
  readonly masterKeyId: string;
  /** Base64 of the provider's ciphertext (for KMS: the CiphertextBlob). */
  readonly ciphertext: string;
}

/**
 * Wraps and unwraps data keys. Shaped after AWS KMS (GenerateDataKey / Decrypt
 * with an EncryptionContext) so a KMS implementation is a thin adapter; the
 * context must match on unwrap or it fails.
 */
export interface MasterKeyProvider {
  /** Names the master key: a fingerprint for a key file, a key ARN for KMS. */
  readonly keyId: string;
  /** A fresh 32-byte data key, in plaintext and wrapped. */
  generateDataKey(context: KeyContext): Promise<{ plaintext: Buffer; wrapped: WrappedDataKey }>;
  unwrap(wrapped: WrappedDataKey, context: KeyContext): Promise<Buffer>;
}

/**
 * Development master key: 32 random bytes in a file with mode 600, created
 * if missing. Refuses a file readable by group or others.
 */
export class FileMasterKey implements MasterKeyProvider {
  readonly keyId: string;

  private constructor(private readonly key: Buffer) {
    this.keyId = `file:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
  }

  /** Load the key at `path`, creating it (and its directory, mode 700) atomically if absent. */
  static async open(path: string, options: { create?: boolean } = {}): Promise<FileMasterKey> {
    if (options.create !== false) await createKeyFileIfMissing(path);
    const info = await stat(path).catch((err: unknown) => {
      throw new MasterKeyError(`file ${path}`, 'key file is missing', { cause: err });
    });
    if ((info.mode & 0o077) !== 0) {
      throw new MasterKeyError(
        `file ${path}`,
        `key file mode is ${(info.mode & 0o777).toString(8)}; must be 600`,
      );
    }
    const key = await readFile(path);
    if (key.length !== DATA_KEY_BYTES)
      throw new MasterKeyError(`file ${path}`, `key file must hold exactly 32 bytes`);
    return new FileMasterKey(key);
  }

  generateDataKey(context: KeyContext): Promise<{ plaintext: Buffer; wrapped: WrappedDataKey }> {
    const plaintext = randomBytes(DATA_KEY_BYTES);
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(contextBytes(context));
    const sealed = Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return Promise.resolve({
      plaintext,
      wrapped: { masterKeyId: this.keyId, ciphertext: sealed.toString('base64') },
    });
  }

  unwrap(wrapped: WrappedDataKey, context: KeyContext): Promise<Buffer> {
    if (wrapped.masterKeyId !== this.keyId) {
      return Promise.reject(
        new MasterKeyError(this.keyId, `data key was wrapped by master key ${wrapped.masterKeyId}`),
      );
    }
    const sealed = Buffer.from(wrapped.ciphertext, 'base64');
    if (sealed.length !== NONCE_BYTES + DATA_KEY_BYTES + TAG_BYTES) {
      return Promise.reject(new DecryptionError('wrapped data key has the wrong length'));
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, NONCE_BYTES));
      decipher.setAAD(contextBytes(context));
      decipher.setAuthTag(sealed.subarray(-TAG_BYTES));
      const key = Buffer.concat([
        decipher.update(sealed.subarray(NONCE_BYTES, -TAG_BYTES)),
        decipher.final(),
      ]);
      return Promise.resolve(key);
    } catch (err) {
      return Promise.reject(
        new DecryptionError('wrapped data key does not authenticate (tampered or wrong context)', {
          cause: err,
        }),
      );
    }
  }
}

async function createKeyFileIfMissing(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, randomBytes(DATA_KEY_BYTES), { mode: 0o600, flag: 'wx' });
  try {
    // link() fails if the key exists: a concurrent creator wins whole, never half-written.
    await link(temp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(temp);
  }
}

/** Canonical bytes of a context: sorted keys, so `{a,b}` and `{b,a}` bind the same. */
export function contextBytes(context: KeyContext): Buffer {
  const sorted = Object.keys(context)
    .sort()
    .map((k) => [k, context[k]]);
  return Buffer.from(`clawfleet-data-key/1\0${JSON.stringify(sorted)}`, 'utf8');
}
