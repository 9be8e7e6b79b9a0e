import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DecryptionError, FileMasterKey, MasterKeyError } from '../../common/crypto.js';
import { createDecryptStream, createEncryptStream, type StreamKey } from '../../common/stream-cipher.js';
import { tempDir } from './fixtures.js';

async function collect(source: Readable, transform: Transform): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(source, transform, async (input: AsyncIterable<Buffer>) => {
    for await (const chunk of input) chunks.push(chunk);
  });
  return Buffer.concat(chunks);
}

/** Feed `data` in chunks of `size` bytes, to exercise header and tag boundaries. */
function chunked(data: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) parts.push(data.subarray(i, i + size));
  return Readable.from(parts);
}

const HEADER = 4 + 4 + 'dk-0001'.length + 12;
const encrypt = (data: Buffer, key: StreamKey) => collect(Readable.from([data]), createEncryptStream(key));
const decrypt = (data: Buffer, key: StreamKey, chunk = 64 * 1024) =>
  collect(chunked(data, chunk), createDecryptStream(key));

describe('stream encryption (AES-256-GCM envelope)', () => {
  const key: StreamKey = {
    key: randomBytes(32),
    keyId: 'dk-0001',
    context: Buffer.from('tenant=acme\0seq=1'),
  };

  it('round-trips data of any size, however the ciphertext is chunked', async () => {
    for (const size of [0, 1, 15, 16, 17, 4096, 65_536, 65_537, 300_000]) {
      const plain = randomBytes(size);
      const sealed = await encrypt(plain, key);
      const records = Math.max(1, Math.ceil(size / 65_536));
      assert.equal(sealed.length, HEADER + size + 16 * records);
      for (const chunk of [1, 7, 16, 33, 1 << 16]) assert.deepEqual(await decrypt(sealed, key, chunk), plain);
    }
  });

  it('never produces the same ciphertext twice for the same plaintext (fresh nonce)', async () => {
    const plain = Buffer.from('same state');
    assert.notDeepEqual(await encrypt(plain, key), await encrypt(plain, key));
  });

  it('fails closed with the wrong key', async () => {
    const sealed = await encrypt(randomBytes(1000), key);
    await assert.rejects(decrypt(sealed, { ...key, key: randomBytes(32) }), DecryptionError);
  });

  it('fails when the context differs (a body moved to another tenant or renumbered)', async () => {
    const sealed = await encrypt(randomBytes(1000), key);
    await assert.rejects(
      decrypt(sealed, { ...key, context: Buffer.from('tenant=other\0seq=1') }),
      DecryptionError,
    );
    await assert.rejects(
      decrypt(sealed, { ...key, context: Buffer.from('tenant=acme\0seq=2') }),
      DecryptionError,
    );
  });

  it('fails when any single byte is flipped, in header, body or tag', async () => {
    const sealed = await encrypt(randomBytes(500), key);
    for (const at of [0, 5, 8, 20, 100, sealed.length - 17, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[at]! ^= 0x01;
      await assert.rejects(decrypt(tampered, key), DecryptionError, `flip at ${at}`);
    }
  });

  it('fails when records are dropped or reordered, or the stream is cut at a record boundary', async () => {
    const record = 65_536 + 16;
    const sealed = await encrypt(randomBytes(3 * 65_536 + 10), key);
    const header = sealed.subarray(0, HEADER);
    const r = (i: number) => sealed.subarray(HEADER + i * record, HEADER + (i + 1) * record);
    await assert.rejects(decrypt(Buffer.concat([header, r(0), r(2), r(3)]), key), DecryptionError);
    await assert.rejects(decrypt(Buffer.concat([header, r(1), r(0), r(2), r(3)]), key), DecryptionError);
    await assert.rejects(decrypt(Buffer.concat([header, r(0), r(1), r(2)]), key), DecryptionError);
  });

  it('fails when the stream is truncated or extended', async () => {
    const sealed = await encrypt(randomBytes(500), key);
    for (const cut of [0, 10, 30, sealed.length - 16, sealed.length - 1]) {
      await assert.rejects(decrypt(sealed.subarray(0, cut), key), DecryptionError, `cut at ${cut}`);
    }
    await assert.rejects(decrypt(Buffer.concat([sealed, Buffer.from([0])]), key), DecryptionError);
  });

  it('refuses a body sealed under another key id before decrypting anything', async () => {
    const sealed = await encrypt(randomBytes(10), key);
    await assert.rejects(
      decrypt(sealed, { ...key, keyId: 'dk-0002' }),
      /encrypted with key "dk-0001", expected "dk-0002"/,
    );
  });
});

describe('FileMasterKey', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => (dir = await tempDir()));
  afterEach(() => dir.remove());

  it('creates a 32-byte key file with mode 600 when missing, and reuses it afterwards', async () => {
    const path = join(dir.path, 'keys', 'master.key');
    const first = await FileMasterKey.open(path);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await readFile(path)).length, 32);
    const again = await FileMasterKey.open(path);
    assert.equal(again.keyId, first.keyId);
  });

  it('creates exactly one key when many processes race to create it', async () => {
    const path = join(dir.path, 'master.key');
    const keys = await Promise.all(Array.from({ length: 8 }, () => FileMasterKey.open(path)));
    assert.equal(new Set(keys.map((k) => k.keyId)).size, 1);
  });

  it('refuses a key file readable by group or others, or of the wrong length', async () => {
    const path = join(dir.path, 'master.key');
    await writeFile(path, randomBytes(32), { mode: 0o644 });
    await chmod(path, 0o644);
    await assert.rejects(FileMasterKey.open(path), MasterKeyError);
    await chmod(path, 0o600);
    await writeFile(path, randomBytes(31));
    await assert.rejects(FileMasterKey.open(path), /exactly 32 bytes/);
  });

  it('unwraps a data key only with the same master key and the same context', async () => {
    const master = await FileMasterKey.open(join(dir.path, 'a.key'));
    const other = await FileMasterKey.open(join(dir.path, 'b.key'));
    const context = { tenantId: 'acme', keyId: 'dk-0001' };
    const { plaintext, wrapped } = await master.generateDataKey(context);
    assert.equal(plaintext.length, 32);
    assert.deepEqual(await master.unwrap(wrapped, context), plaintext);
    await assert.rejects(master.unwrap(wrapped, { ...context, tenantId: 'globex' }), DecryptionError);
    await assert.rejects(other.unwrap(wrapped, context), MasterKeyError);
    await assert.rejects(other.unwrap({ ...wrapped, masterKeyId: other.keyId }, context), DecryptionError);
  });
});
