/**
 * Platform keys: random 32-byte keys wrapped by the master key in partition
 * `#platform` of `<prefix>secrets`, each created once on first use.
 *
 * - the credential pepper (`datakey#pepper-0001`): the MAC key of credential
 *   hashes; the admin API hashes with it, the router verifies with it;
 * - the forwarding root (`datakey#forward-0001`): per-tenant forwarding keys
 *   are `HMAC(root, tenantId)`; the router signs hot-path forwards with them,
 *   the worker hands each supervisor its own tenant's key at launch.
 *
 * Only processes holding the master key call this module (admin, worker, the
 * CLI's `admin router-keys`). They copy the two keys the router needs into
 * the router key file (common/router-key-file.ts), so the public router
 * process never holds the master key and cannot decrypt any secret.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MasterKeyProvider } from '../common/crypto.js';
import { writeRouterKeyFile, type RouterKeyMaterial } from '../common/router-key-file.js';
import { CredentialHasher } from './credential-hash.js';
import type { TableNames } from './tables.js';
import { PLATFORM_PARTITION, WrappedKeyTable, type DataKey } from './wrapped-keys.js';

/** Each key's purpose is bound into its wrapping context, so one never unwraps as the other. */
export const PLATFORM_KEYS = {
  credentialPepper: { purpose: 'clawfleet-credential-pepper', keyId: 'pepper-0001' },
  forwardRoot: { purpose: 'clawfleet-router-forward-key', keyId: 'forward-0001' },
} as const;

export type PlatformKeyName = keyof typeof PLATFORM_KEYS;

export interface PlatformKeyOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tables: TableNames;
  readonly masterKey: MasterKeyProvider;
}

/** Unwraps (creating on first use) one platform key. */
export class PlatformKey {
  private readonly table: WrappedKeyTable;
  private readonly keyId: string;

  constructor(options: PlatformKeyOptions, name: PlatformKeyName) {
    const { purpose, keyId } = PLATFORM_KEYS[name];
    this.table = new WrappedKeyTable(options.doc, options.tables.secrets, options.masterKey, purpose);
    this.keyId = keyId;
  }

  /** One consistent read per call (a re-created key is seen at once); unwrapping is cached by ciphertext. */
  current(): Promise<DataKey> {
    return this.table.current(PLATFORM_PARTITION, this.keyId);
  }
}

/** The hasher with the platform pepper. */
export async function openCredentialHasher(options: PlatformKeyOptions): Promise<CredentialHasher> {
  const { keyId, key } = await new PlatformKey(options, 'credentialPepper').current();
  return CredentialHasher.fromPepper(keyId, key);
}

/** The two keys the router holds, unwrapped. */
export async function routerKeyMaterial(options: PlatformKeyOptions): Promise<RouterKeyMaterial> {
  const [pepper, forward] = await Promise.all([
    new PlatformKey(options, 'credentialPepper').current(),
    new PlatformKey(options, 'forwardRoot').current(),
  ]);
  return {
    credentialPepper: { id: pepper.keyId, key: pepper.key },
    forwardKey: { id: forward.keyId, key: forward.key },
  };
}

/** Writes the router key file unless it holds these keys already (a reset table set replaces a stale one). */
export async function ensureRouterKeyFile(
  path: string,
  options: PlatformKeyOptions,
): Promise<{ path: string; written: boolean }> {
  return { path, written: await writeRouterKeyFile(path, await routerKeyMaterial(options)) };
}
