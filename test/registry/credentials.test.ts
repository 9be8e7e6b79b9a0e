import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileMasterKey, MasterKeyError } from '../../common/crypto.js';
import { CredentialHasher } from '../../registry/credential-hash.js';
import { openCredentialHasher } from '../../registry/platform-keys.js';
import { TenantCredentials } from '../../registry/credentials.js';
import { DynamoRegistry } from '../../registry/dynamo-registry.js';
import { DynamoSecretStore, SECRET_NAMES } from '../../registry/secret-store.js';
import { startDynamo, type TestDynamo } from '../helpers/dynamo.js';

describe('webhook secrets and API keys: peppered hashes in the tenant record', () => {
  let dynamo: TestDynamo;
  let keyDir: string;
  let masterKey: FileMasterKey;
  let registry: DynamoRegistry;
  let secrets: DynamoSecretStore;
  let hasher: CredentialHasher;
  let credentials: TenantCredentials;

  const newTenant = async () => {
    const tenantId = `cred-${randomBytes(4).toString('hex')}`;
    await registry.create({ tenantId, displayName: tenantId, tier: 'free', openclawVersion: '2026.9.6' });
    return tenantId;
  };

  before(async () => {
    dynamo = await startDynamo();
    keyDir = await mkdtemp(join(tmpdir(), 'clawfleet-keys-'));
    masterKey = await FileMasterKey.open(join(keyDir, 'master.key'));
    registry = new DynamoRegistry({ doc: dynamo.doc, tables: dynamo.tables });
    secrets = new DynamoSecretStore({ doc: dynamo.doc, tables: dynamo.tables, masterKey });
    hasher = await openCredentialHasher({ doc: dynamo.doc, tables: dynamo.tables, masterKey });
    credentials = new TenantCredentials({ registry, secrets, hasher });
  });
  after(async () => {
    await dynamo?.close();
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  });

  it('the pepper is created once and shared: hashers opened concurrently verify each other', async () => {
    const [h1, h2] = await Promise.all([
      openCredentialHasher({ doc: dynamo.doc, tables: dynamo.tables, masterKey }),
      openCredentialHasher({ doc: dynamo.doc, tables: dynamo.tables, masterKey }),
    ]);
    const hash = h1.hash('acme', 'webhook-secret', 'token');
    assert.ok(h2.verify('acme', 'webhook-secret', [hash], 'token'));
    assert.ok(hasher.verify('acme', 'webhook-secret', [hash], 'token'));
  });

  it('a hash is salted and bound to tenant and purpose', () => {
    const a = hasher.hash('acme', 'webhook-secret', 'token');
    assert.notEqual(a, hasher.hash('acme', 'webhook-secret', 'token'));
    assert.ok(!a.includes('token'));
    assert.ok(!hasher.verify('other', 'webhook-secret', [a], 'token'));
    assert.ok(!hasher.verify('acme', 'api-key', [a], 'token'));
    assert.ok(!hasher.verify('acme', 'webhook-secret', [a], 'token2'));
    assert.ok(
      !hasher.verify('acme', 'webhook-secret', ['garbage', a.replace('pepper-0001', 'pepper-0002')], 'token'),
    );
    const otherPepper = CredentialHasher.fromPepper('pepper-0001', randomBytes(32));
    assert.ok(!otherPepper.verify('acme', 'webhook-secret', [a], 'token'));
  });

  it('fails closed when the pepper cannot be unwrapped (wrong master key)', async () => {
    const wrong = await FileMasterKey.open(join(keyDir, 'wrong.key'));
    await assert.rejects(
      openCredentialHasher({ doc: dynamo.doc, tables: dynamo.tables, masterKey: wrong }),
      MasterKeyError,
    );
  });

  it('a rotated webhook secret is accepted together with the one Telegram holds until its registration is confirmed', async () => {
    const tenantId = await newTenant();
    assert.equal(await credentials.verifyWebhookSecret(tenantId, 'anything'), false);
    await credentials.issueWebhookSecret(tenantId);
    const s1 = await secrets.resolve(tenantId, SECRET_NAMES.telegramWebhookSecret);
    assert.ok(await credentials.verifyWebhookSecret(tenantId, s1));
    await credentials.webhookRegistered(tenantId);
    assert.equal((await registry.get(tenantId))?.webhookSecretHashes.length, 1);

    // Two rotations before any wake: Telegram still has s1, the next wake will register s3.
    await credentials.issueWebhookSecret(tenantId);
    const s2 = await secrets.resolve(tenantId, SECRET_NAMES.telegramWebhookSecret);
    await credentials.issueWebhookSecret(tenantId);
    const s3 = await secrets.resolve(tenantId, SECRET_NAMES.telegramWebhookSecret);
    assert.ok(await credentials.verifyWebhookSecret(tenantId, s1));
    assert.equal(await credentials.verifyWebhookSecret(tenantId, s2), false);
    assert.ok(await credentials.verifyWebhookSecret(tenantId, s3));

    await credentials.webhookRegistered(tenantId);
    assert.equal(await credentials.verifyWebhookSecret(tenantId, s1), false);
    assert.ok(await credentials.verifyWebhookSecret(tenantId, s3));
    assert.equal(
      await credentials.verifyWebhookSecret(`nobody-${randomBytes(3).toString('hex')}`, s3),
      false,
    );
  });

  it('confirming a registration keeps what Telegram holds and the stored secret, should it have been rotated since', async () => {
    const tenantId = await newTenant();
    await credentials.issueWebhookSecret(tenantId);
    await credentials.webhookRegistered(tenantId);
    const s1 = await secrets.resolve(tenantId, SECRET_NAMES.telegramWebhookSecret);
    await credentials.issueWebhookSecret(tenantId);
    const s2 = await secrets.resolve(tenantId, SECRET_NAMES.telegramWebhookSecret);
    const registered = await credentials.webhookSecretHash(tenantId, s2); // Telegram was given s2 ...
    assert.deepEqual(
      registered,
      (await registry.get(tenantId))!.webhookSecretHashes[0],
      'the record’s own hash',
    );
    await credentials.issueWebhookSecret(tenantId); // ... and s3 was issued before the confirmation
    const s3 = await secrets.resolve(tenantId, SECRET_NAMES.telegramWebhookSecret);
    await credentials.webhookRegistered(tenantId, registered);
    assert.equal(await credentials.verifyWebhookSecret(tenantId, s1), false, 'older than the registered one');
    assert.ok(await credentials.verifyWebhookSecret(tenantId, s2), 'what Telegram holds');
    assert.ok(await credentials.verifyWebhookSecret(tenantId, s3), 'what the next registration will send');
    await credentials.webhookRegistered(tenantId, await credentials.webhookSecretHash(tenantId, s3));
    assert.equal(await credentials.verifyWebhookSecret(tenantId, s2), false);
    assert.deepEqual((await registry.get(tenantId))!.webhookSecretHashes.length, 1);
  });

  it('API keys: shown once, stored hashed, verified per key id, revocable', async () => {
    const tenantId = await newTenant();
    const [k1, k2] = await Promise.all([
      credentials.issueApiKey(tenantId),
      credentials.issueApiKey(tenantId),
    ]);
    const record = await registry.get(tenantId);
    assert.deepEqual(Object.keys(record!.apiKeyHashes).sort(), [k1.keyId, k2.keyId].sort());
    assert.ok(!JSON.stringify(record).includes(k1.apiKey.split('.')[1]!));
    assert.ok(await credentials.verifyApiKey(tenantId, k1.apiKey));
    assert.ok(await credentials.verifyApiKey(tenantId, k2.apiKey));
    assert.equal(await credentials.verifyApiKey(tenantId, `${k1.apiKey.slice(0, -1)}x`), false);
    assert.equal(await credentials.verifyApiKey(tenantId, 'not-a-key'), false);
    await credentials.revokeApiKey(tenantId, k1.keyId);
    await credentials.revokeApiKey(tenantId, k1.keyId);
    assert.equal(await credentials.verifyApiKey(tenantId, k1.apiKey), false);
    assert.ok(await credentials.verifyApiKey(tenantId, k2.apiKey));
  });
});
