import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import {
  DecryptionError,
  FileMasterKey,
  MasterKeyError,
  type MasterKeyProvider,
} from '../../common/crypto.js';
import { InvalidTenantIdError } from '../../common/errors.js';
import { InvalidSecretNameError, SecretNotFoundError } from '../../registry/errors.js';
import { DERIVED_SECRET_NAMES, DynamoSecretStore, SECRET_NAMES } from '../../registry/secret-store.js';
import { startDynamo, type TestDynamo } from '../helpers/dynamo.js';

describe('envelope-encrypted secret store (dynalite)', () => {
  let dynamo: TestDynamo;
  let keyDir: string;
  let masterKey: FileMasterKey;
  let store: DynamoSecretStore;
  const id = () => `sec-${randomBytes(4).toString('hex')}`;
  const secretItem = (tenantId: string, name: string) =>
    dynamo.doc
      .send(new GetCommand({ TableName: dynamo.tables.secrets, Key: { tenantId, item: `secret#${name}` } }))
      .then((r) => r.Item!);

  before(async () => {
    dynamo = await startDynamo();
    keyDir = await mkdtemp(join(tmpdir(), 'clawfleet-keys-'));
    masterKey = await FileMasterKey.open(join(keyDir, 'master.key'));
    store = new DynamoSecretStore({ doc: dynamo.doc, tables: dynamo.tables, masterKey });
  });
  after(async () => {
    await dynamo?.close();
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  });

  it('round-trips a secret and stores only ciphertext', async () => {
    const tenantId = id();
    const token = `123456:${randomBytes(20).toString('hex')}`;
    await store.put(tenantId, SECRET_NAMES.telegramBotToken, token);
    assert.equal(await store.resolve(tenantId, SECRET_NAMES.telegramBotToken), token);
    const { Items } = await dynamo.doc.send(new ScanCommand({ TableName: dynamo.tables.secrets }));
    assert.ok(!JSON.stringify(Items).includes(token), 'plaintext must never be stored');
    const item = await secretItem(tenantId, SECRET_NAMES.telegramBotToken);
    assert.equal(item['keyId'], 'dk-0001');
  });

  it('a fresh process with the same master key reads the secrets (nothing lives only in memory)', async () => {
    const tenantId = id();
    await store.put(tenantId, 'model-openai', 'sk-test-value');
    const other = new DynamoSecretStore({
      doc: dynamo.doc,
      tables: dynamo.tables,
      masterKey: await FileMasterKey.open(join(keyDir, 'master.key'), { create: false }),
    });
    assert.equal(await other.resolve(tenantId, 'model-openai'), 'sk-test-value');
  });

  it('fails closed with the wrong master key', async () => {
    const tenantId = id();
    await store.put(tenantId, 'model-openai', 'sk-secret');
    const wrongKey = await FileMasterKey.open(join(keyDir, 'other.key'));
    const wrong = new DynamoSecretStore({ doc: dynamo.doc, tables: dynamo.tables, masterKey: wrongKey });
    await assert.rejects(wrong.resolve(tenantId, 'model-openai'), MasterKeyError);
  });

  it('fails closed when a ciphertext is edited or moved to another tenant or name', async () => {
    const [a, b] = [id(), id()];
    await store.put(a, 'model-openai', 'sk-a');
    await store.put(b, 'model-openai', 'sk-b');
    const stolen = await secretItem(a, 'model-openai');
    const put = (tenantId: string, name: string, ciphertext: unknown) =>
      dynamo.doc.send(
        new PutCommand({
          TableName: dynamo.tables.secrets,
          Item: { ...stolen, tenantId, item: `secret#${name}`, ciphertext },
        }),
      );
    await put(b, 'model-openai', stolen['ciphertext']);
    await assert.rejects(store.resolve(b, 'model-openai'), DecryptionError);
    await put(a, 'model-anthropic', stolen['ciphertext']);
    await assert.rejects(store.resolve(a, 'model-anthropic'), DecryptionError);
    const bytes = Buffer.from(String(stolen['ciphertext']), 'base64');
    bytes[bytes.length - 20]! ^= 1;
    await put(a, 'model-openai', bytes.toString('base64'));
    await assert.rejects(store.resolve(a, 'model-openai'), DecryptionError);
  });

  it('when the first two writes of a tenant race, both use the one data key that won', async () => {
    const tenantId = id();
    // Hold each generateDataKey until both writers have asked: both saw no key, both try to store theirs.
    let waiting: (() => void)[] = [];
    const racing: MasterKeyProvider = {
      keyId: masterKey.keyId,
      unwrap: (wrapped, context) => masterKey.unwrap(wrapped, context),
      async generateDataKey(context) {
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (waiting.length === 2) waiting.forEach((release) => release());
        });
        return masterKey.generateDataKey(context);
      },
    };
    const racer = new DynamoSecretStore({ doc: dynamo.doc, tables: dynamo.tables, masterKey: racing });
    await Promise.all([racer.put(tenantId, 'model-a', 'value-a'), racer.put(tenantId, 'model-b', 'value-b')]);
    waiting = [];
    assert.equal(await store.resolve(tenantId, 'model-a'), 'value-a');
    assert.equal(await store.resolve(tenantId, 'model-b'), 'value-b');
  });

  it('lists names only, deletes one, and deleteAll shreds secrets and data key', async () => {
    const tenantId = id();
    await store.put(tenantId, 'model-openai', 'v1');
    await store.put(tenantId, SECRET_NAMES.telegramBotToken, 'v2');
    assert.deepEqual(await store.list(tenantId), ['model-openai', 'telegram-bot-token']);
    await store.delete(tenantId, 'model-openai');
    await store.delete(tenantId, 'model-openai'); // missing is success
    assert.deepEqual(await store.list(tenantId), ['telegram-bot-token']);
    await store.deleteAll(tenantId);
    await store.deleteAll(tenantId); // a tenant without secrets is success
    assert.deepEqual(await store.list(tenantId), []);
    const { Items } = await dynamo.doc.send(new ScanCommand({ TableName: dynamo.tables.secrets }));
    assert.equal(Items?.filter((i) => i['tenantId'] === tenantId).length, 0);
    await assert.rejects(store.resolve(tenantId, SECRET_NAMES.telegramBotToken), SecretNotFoundError);
    // A new secret after shredding gets a new data key, not the cached old one.
    await store.put(tenantId, 'model-openai', 'v3');
    assert.equal(await store.resolve(tenantId, 'model-openai'), 'v3');
  });

  it('ensureDerived creates missing tokens once; rotateDerived replaces all three', async () => {
    const tenantId = id();
    assert.deepEqual(await store.ensureDerived(tenantId), DERIVED_SECRET_NAMES);
    const before = await Promise.all(DERIVED_SECRET_NAMES.map((n) => store.resolve(tenantId, n)));
    assert.deepEqual(await store.ensureDerived(tenantId), []);
    assert.deepEqual(await Promise.all(DERIVED_SECRET_NAMES.map((n) => store.resolve(tenantId, n))), before);
    assert.ok(before.every((t) => /^[A-Za-z0-9_-]{43}$/.test(t)));
    assert.deepEqual(await store.rotateDerived(tenantId), DERIVED_SECRET_NAMES);
    const after = await Promise.all(DERIVED_SECRET_NAMES.map((n) => store.resolve(tenantId, n)));
    after.forEach((token, i) => assert.notEqual(token, before[i]));
  });

  it('validates tenant ids and secret names before they become keys', async () => {
    await assert.rejects(store.put('../x', 'model-openai', 'v'), InvalidTenantIdError);
    await assert.rejects(store.put(id(), 'secret#x', 'v'), InvalidSecretNameError);
    await assert.rejects(store.resolve(id(), 'Bad Name'), InvalidSecretNameError);
    await assert.rejects(store.list('#platform'), InvalidTenantIdError);
  });
});
