/**
 * Verifier hashes for credentials that callers present to us (Telegram's
 * webhook secret token, tenant API keys), compared by the router in constant
 * time: `hmac-sha256$<pepperId>$<salt>$<mac>` with
 * mac = HMAC-SHA-256(pepper, tenantId | purpose | salt | credential).
 *
 * Why HMAC with a pepper and not scrypt: these credentials are 256-bit random
 * tokens we generate, not human passwords, so a slow KDF adds no protection
 * against guessing; on an unauthenticated public endpoint it would hand
 * anyone a cheap way to burn router CPU. The pepper (wrapped by the master
 * key, never stored in clear) means a copy of the tables alone cannot test
 * guesses at all; the salt and the tenant binding mean equal credentials
 * give different hashes and a hash copied to another tenant does not verify.
 *
 * This module only computes and checks hashes. The pepper comes from
 * registry/platform-keys.ts (unwrapped with the master key: admin, worker) or
 * from the router key file (common/router-key-file.ts), so the router loads
 * no unwrapping code at all.
 */
import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';

export type CredentialPurpose = 'webhook-secret' | 'api-key';

/** The verification port: what the router needs of a hasher. */
export type CredentialVerifier = Pick<CredentialHasher, 'verify'>;

const SALT_BYTES = 16;
const MAC_BYTES = 32;
const ENCODED = /^hmac-sha256\$([a-z0-9-]+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

export class CredentialHasher {
  /** Imported once: a raw Buffer key is re-imported by every createHmac call, on the router's request path. */
  private readonly pepper: KeyObject;

  private constructor(
    private readonly pepperId: string,
    pepper: Buffer,
  ) {
    this.pepper = createSecretKey(pepper);
  }

  /** The hasher over a pepper already unwrapped (platform-keys.ts) or read from the router key file. */
  static fromPepper(pepperId: string, pepper: Buffer): CredentialHasher {
    if (!/^[a-z0-9-]+$/.test(pepperId) || pepper.length < 32) throw new TypeError('pepper must be 32+ bytes');
    return new CredentialHasher(pepperId, pepper);
  }

  hash(tenantId: string, purpose: CredentialPurpose, credential: string): string {
    const salt = randomBytes(SALT_BYTES);
    const mac = this.mac(tenantId, purpose, salt, credential);
    return `hmac-sha256$${this.pepperId}$${salt.toString('base64url')}$${mac.toString('base64url')}`;
  }

  /**
   * True when `presented` matches any of `encoded`. Every hash is checked (no
   * early exit) and compared with timingSafeEqual; malformed hashes or hashes
   * under another pepper never match.
   */
  verify(
    tenantId: string,
    purpose: CredentialPurpose,
    encoded: readonly string[],
    presented: string,
  ): boolean {
    let matched = false;
    for (const stored of encoded) {
      const parts = ENCODED.exec(stored);
      if (!parts || parts[1] !== this.pepperId) continue;
      const expected = Buffer.from(parts[3]!, 'base64url');
      const actual = this.mac(tenantId, purpose, Buffer.from(parts[2]!, 'base64url'), presented);
      if (expected.length === MAC_BYTES && timingSafeEqual(expected, actual)) matched = true;
    }
    return matched;
  }

  private mac(tenantId: string, purpose: CredentialPurpose, salt: Buffer, credential: string): Buffer {
    return createHmac('sha256', this.pepper)
      .update(`clawfleet-credential/1\0${tenantId}\0${purpose}\0`)
      .update(salt)
      .update('\0')
      .update(credential, 'utf8')
      .digest();
  }
}
