/**
 * The router's key file: all the key material the public router process
 * holds. It verifies credentials and signs forwards; it decrypts nothing.
 *
 * - `credentialPepper`: the MAC key of the webhook-secret and API-key hashes
 *   (registry/credential-hash.ts). Verifying an HMAC needs the MAC key itself,
 *   so this is the pepper; it opens no secret and no data key.
 * - `forwardKey`: the root of the per-tenant forwarding keys
 *   (forward-signature.ts). It signs requests to supervisors and can do
 *   nothing else.
 *
 * Both are platform keys wrapped by the master key in `<prefix>secrets`; the
 * admin process (or `clawfleet admin router-keys`) unwraps them and writes
 * this file (registry/platform-keys.ts), so the router never needs the
 * master key. JSON, keys base64url, mode 600 (a wider mode is refused).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ClawfleetError } from './errors.js';

export interface NamedKey {
  readonly id: string;
  readonly key: Buffer;
}

export interface RouterKeyMaterial {
  readonly credentialPepper: NamedKey;
  readonly forwardKey: NamedKey;
}

export class RouterKeyFileError extends ClawfleetError {
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super('ROUTER_KEY_FILE_INVALID', `router key file ${path}: ${reason}`, options);
  }
}

const KEY_ID = /^[a-z0-9-]{1,64}$/;

export async function readRouterKeyFile(path: string): Promise<RouterKeyMaterial> {
  const info = await stat(path).catch((error: unknown) => {
    throw new RouterKeyFileError(
      path,
      'missing (the admin API writes it on the embedded stack; else run `clawfleet admin router-keys`)',
      { cause: error },
    );
  });
  if ((info.mode & 0o077) !== 0)
    throw new RouterKeyFileError(path, `mode is ${(info.mode & 0o777).toString(8)}; must be 600`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new RouterKeyFileError(path, 'not JSON', { cause: error });
  }
  const file = parsed as { version?: unknown; credentialPepper?: unknown; forwardKey?: unknown };
  if (file.version !== 1) throw new RouterKeyFileError(path, 'unknown version');
  return {
    credentialPepper: namedKey(path, 'credentialPepper', file.credentialPepper),
    forwardKey: namedKey(path, 'forwardKey', file.forwardKey),
  };
}

/** Writes the file (mode 600, directory 700) unless it already holds `material`; returns whether it wrote. */
export async function writeRouterKeyFile(path: string, material: RouterKeyMaterial): Promise<boolean> {
  const current = await readRouterKeyFile(path).catch(() => null);
  if (current && sameKey(current.credentialPepper, material.credentialPepper))
    if (sameKey(current.forwardKey, material.forwardKey)) return false;
  const text = JSON.stringify({
    version: 1,
    credentialPepper: encode(material.credentialPepper),
    forwardKey: encode(material.forwardKey),
  });
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // Write then rename: a router starting meanwhile never reads half a file, and the mode is 600 from the start.
  const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, `${text}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(temp, 0o600);
  await rename(temp, path);
  return true;
}

function namedKey(path: string, name: string, value: unknown): NamedKey {
  const { id, key } = (value ?? {}) as { id?: unknown; key?: unknown };
  if (typeof id !== 'string' || !KEY_ID.test(id) || typeof key !== 'string')
    throw new RouterKeyFileError(path, `${name} is malformed`);
  const bytes = Buffer.from(key, 'base64url');
  if (bytes.length < 32) throw new RouterKeyFileError(path, `${name} must be 32+ bytes`);
  return { id, key: bytes };
}

const encode = ({ id, key }: NamedKey) => ({ id, key: key.toString('base64url') });
const sameKey = (a: NamedKey, b: NamedKey) => a.id === b.id && a.key.equals(b.key);
