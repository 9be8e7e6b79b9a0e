/**
 * The key material of the public router process, from its key file
 * (common/router-key-file.ts): a credential verifier and a forward signer.
 * Nothing here, nor anything the router imports, can unwrap a key or decrypt
 * a secret: that takes the master key, which only the admin process and the
 * worker open (test/router/router-holds-no-key.test.ts checks the imports).
 */
import { readRouterKeyFile, type RouterKeyMaterial } from '../common/router-key-file.js';
import { CredentialHasher, type CredentialVerifier } from '../registry/credential-hash.js';
import { ForwardSigner } from './forward-signer.js';

export interface RouterKeys {
  /** Checks webhook secrets and API keys against the registry's hashes. */
  readonly verifier: CredentialVerifier;
  /** Signs forwards to supervisors. */
  readonly signer: ForwardSigner;
}

export async function openRouterKeys(path: string): Promise<RouterKeys> {
  return routerKeysFrom(await readRouterKeyFile(path));
}

/** For tests and tools that hold the material already (registry/platform-keys.ts `routerKeyMaterial`). */
export function routerKeysFrom({ credentialPepper, forwardKey }: RouterKeyMaterial): RouterKeys {
  return {
    verifier: CredentialHasher.fromPepper(credentialPepper.id, credentialPepper.key),
    signer: new ForwardSigner(forwardKey.key),
  };
}
