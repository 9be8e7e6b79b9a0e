/**
 * The public router verifies, it does not decrypt: its wiring takes no
 * master key, its process loads no code that could unwrap a key or open a
 * secret, and its key file holds only the pepper and the forwarding root.
 * (router-process.test.ts checks the running process: environment, open
 * files, no master key created.)
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileMasterKey, type MasterKeyProvider } from '../../common/crypto.js';
import { RouterKeyFileError } from '../../common/router-key-file.js';
import { ensureRouterKeyFile, openCredentialHasher } from '../../registry/platform-keys.js';
import { DynamoSecretStore } from '../../registry/secret-store.js';
import { openRouterKeys, type RouterKeys } from '../../router/router-keys.js';
import type { RouterServices } from '../../router/services.js';
import type { RouterParts } from '../../router/wiring.js';
import { startDynamo, type TestDynamo } from '../helpers/dynamo.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** Keys of T whose value would do as a U. */
type FieldsLike<T, U> = { [K in keyof T]-?: [NonNullable<T[K]>] extends [U] ? K : never }[keyof T];
type Decrypts = { resolve(tenantId: string, name: string): Promise<string> };
// Compile-time (npm test type-checks the tests): no part of the router's wiring can unwrap or decrypt.
const partsHoldNoMasterKey: [FieldsLike<RouterParts, MasterKeyProvider>] extends [never] ? true : false =
  true;
const partsHoldNoSecretStore: [FieldsLike<RouterParts, Decrypts>] extends [never] ? true : false = true;
const servicesHoldNoSecretStore: [FieldsLike<RouterServices, Decrypts>] extends [never] ? true : false = true;
const keysHoldNoMasterKey: [FieldsLike<RouterKeys, MasterKeyProvider | Decrypts>] extends [never]
  ? true
  : false = true;

/** Modules that unwrap keys or decrypt secrets: only the admin process, the worker and the CLI load them. */
const DECRYPTING = [
  'common/crypto.ts',
  'registry/wrapped-keys.ts',
  'registry/secret-box.ts',
  'registry/secret-store.ts',
  'registry/platform-keys.ts',
  'snapshots/',
  'admin/',
];

/** Files `entry` loads at run time: relative imports and re-exports, type-only ones left out. */
async function runtimeImports(entry: string): Promise<string[]> {
  const seen = new Set<string>();
  const visit = async (file: string): Promise<void> => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = await readFile(file, 'utf8');
    const statements = [
      ...source.matchAll(/^\s*(?:import|export)\s+(type\s+)?(?:[^;'"]*?\s+from\s+)?'(\.[^']+)'/gm),
      ...Array.from(
        source.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g),
        (m) => [m[0], undefined, m[1]] as const,
      ),
    ];
    for (const [, typeOnly, specifier] of statements) {
      if (typeOnly) continue;
      const target = join(dirname(file), specifier!.replace(/\.js$/, '.ts'));
      if (existsSync(target)) await visit(target);
    }
  };
  await visit(join(REPO, entry));
  return [...seen].map((file) => relative(REPO, file)).sort();
}

describe('the router holds no key that decrypts anything', function () {
  this.timeout(60_000);
  let dynamo: TestDynamo;
  let dir: string;
  let masterKey: FileMasterKey;

  before(async () => {
    [dynamo, dir] = await Promise.all([startDynamo(), mkdtemp(join(tmpdir(), 'clawfleet-router-keys-'))]);
    masterKey = await FileMasterKey.open(join(dir, 'master.key'));
  });
  after(async () => {
    await dynamo?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('its wiring takes no master key and no secret store (RouterParts, RouterServices, RouterKeys)', () => {
    assert.deepEqual(
      [partsHoldNoMasterKey, partsHoldNoSecretStore, servicesHoldNoSecretStore, keysHoldNoMasterKey],
      [true, true, true, true],
    );
  });

  it('the router process loads no code that unwraps a key or decrypts a secret (router/server.ts’s imports)', async () => {
    const loaded = await runtimeImports('router/server.ts');
    assert.ok(loaded.includes('router/router-keys.ts') && loaded.includes('registry/credential-hash.ts'));
    const decrypting = loaded.filter((file) => DECRYPTING.some((path) => file.startsWith(path)));
    assert.deepEqual(decrypting, [], 'the router would load these');
    // The check itself finds them where they are used: the admin process loads them all.
    const admin = await runtimeImports('admin/server.ts');
    for (const path of ['common/crypto.ts', 'registry/secret-store.ts', 'registry/platform-keys.ts'])
      assert.ok(admin.includes(path), path);
  });

  it('its key file holds the pepper and the forwarding root only, mode 600, and verifies what the admin API hashes', async () => {
    const path = join(dir, 'keys', 'router.key');
    const options = { doc: dynamo.doc, tables: dynamo.tables, masterKey };
    assert.deepEqual(await ensureRouterKeyFile(path, options), { path, written: true });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(dirname(path))).mode & 0o777, 0o700);
    const file = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(file).sort(), ['credentialPepper', 'forwardKey', 'version']);
    const text = await readFile(path, 'utf8');
    const master = await readFile(join(dir, 'master.key'));
    for (const encoding of ['hex', 'base64', 'base64url'] as const)
      assert.ok(!text.includes(master.toString(encoding)), `master key (${encoding})`);
    assert.deepEqual(await ensureRouterKeyFile(path, options), { path, written: false }, 'kept when current');

    const keys = await openRouterKeys(path);
    const hash = (await openCredentialHasher(options)).hash('acme', 'api-key', 'cfk-secret');
    assert.equal(keys.verifier.verify('acme', 'api-key', [hash], 'cfk-secret'), true);
    assert.equal(keys.verifier.verify('acme', 'api-key', [hash], 'cfk-other'), false);
    // A tenant secret stays sealed: nothing in RouterKeys reads it, and its ciphertext is not in the file.
    const secrets = new DynamoSecretStore(options);
    await secrets.put('acme', 'supervisor-token', 'never-in-the-router');
    assert.ok(!text.includes('never-in-the-router'));
  });

  it('a missing key file, or one readable by others, stops the router from starting', async () => {
    await assert.rejects(openRouterKeys(join(dir, 'absent.key')), RouterKeyFileError);
    const path = join(dir, 'wide', 'router.key');
    await ensureRouterKeyFile(path, { doc: dynamo.doc, tables: dynamo.tables, masterKey });
    await chmod(path, 0o644);
    await assert.rejects(openRouterKeys(path), /mode is 644; must be 600/);
    const other = await FileMasterKey.open(join(dir, `other-${randomBytes(3).toString('hex')}.key`));
    // Another installation's master key cannot unwrap these platform keys: nothing to write.
    await assert.rejects(
      ensureRouterKeyFile(join(dir, 'x', 'router.key'), {
        doc: dynamo.doc,
        tables: dynamo.tables,
        masterKey: other,
      }),
    );
  });
});
