/**
 * Sealing of small values (secrets) under a data key: AES-256-GCM with a
 * random 96-bit nonce and caller-supplied additional data, stored as
 * base64(nonce | ciphertext | tag). common/crypto.ts offers a streaming
 * format for bulk data; a secret is a few hundred bytes and is stored in a
 * DynamoDB attribute, so this is the one-shot equivalent with the same
 * algorithm and the same fail-closed rule.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DATA_KEY_BYTES, DecryptionError } from '../common/crypto.js';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export function seal(key: Buffer, plaintext: Buffer, aad: Buffer): string {
  if (key.length !== DATA_KEY_BYTES) throw new TypeError('data key must be 32 bytes');
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  return Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]).toString(
    'base64',
  );
}

/** Decrypts or throws DecryptionError: wrong key, wrong additional data, or edited bytes. */
export function open(key: Buffer, sealed: string, aad: Buffer): Buffer {
  const bytes = Buffer.from(sealed, 'base64');
  if (bytes.length < NONCE_BYTES + TAG_BYTES) throw new DecryptionError('sealed value is truncated');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, NONCE_BYTES));
    decipher.setAAD(aad);
    decipher.setAuthTag(bytes.subarray(-TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES, -TAG_BYTES)), decipher.final()]);
  } catch (error) {
    throw new DecryptionError('sealed value does not authenticate (tampered, wrong key or moved)', {
      cause: error,
    });
  }
}

/** Additional data binding a sealed value to where it is stored. */
export function bindingOf(...parts: string[]): Buffer {
  return Buffer.from(['clawfleet-secret/1', ...parts].join('\0'), 'utf8');
}
