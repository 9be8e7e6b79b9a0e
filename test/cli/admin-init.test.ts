/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return -- assertions read parsed JSON output */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AdminTokenStore } from '../../admin/token-store.js';
import { FileMasterKey } from '../../common/crypto.js';
import { readRouterKeyFile } from '../../common/router-key-file.js';
import { createDocumentClient } from '../../registry/document-client.js';
import { routerKeyMaterial } from '../../registry/platform-keys.js';
import { tableNames } from '../../registry/tables.js';
import { startDynamo, type TestDynamo } from '../helpers/dynamo.js';

const MAIN = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

describe('clawfleet admin init', function () {
  this.timeout(60_000);
  let dynamo: TestDynamo;
  let dataDir: string;

  before(async () => {
    dynamo = await startDynamo();
    dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-init-'));
  });
  after(async () => {
    await dynamo?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('creates the tables and a platform token file (mode 600), and a second run changes nothing', async () => {
    const prefix = `init${randomBytes(3).toString('hex')}-`;
    const env = {
      PATH: process.env['PATH'],
      HOME: dataDir,
      CLAWFLEET_DATA_DIR: dataDir,
      CLAWFLEET_DYNAMODB_ENDPOINT: dynamo.endpoint,
      CLAWFLEET_TABLE_PREFIX: prefix,
    };
    const run = async () =>
      JSON.parse((await promisify(execFile)(TSX, [MAIN, '-o', 'json', 'admin', 'init'], { env })).stdout);
    const first = await run();
    assert.deepEqual(first.tablesCreated, Object.values(tableNames(prefix)));
    assert.equal(first.tokenCreated, true);
    const path = join(dataDir, 'keys', 'admin.token');
    assert.equal(first.tokenFile, path);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const token = (await readFile(path, 'utf8')).trim();
    const store = new AdminTokenStore(createDocumentClient(dynamo.client), tableNames(prefix).secrets);
    assert.equal((await store.verify(token))?.scope, 'platform');
    const second = await run();
    assert.deepEqual(second.tablesCreated, []);
    assert.equal(second.tokenCreated, false);
    assert.equal(second.tokenId, first.tokenId);
  });

  it('admin router-keys writes the router key file (mode 600) with the master key, and refuses to invent a master key', async () => {
    const prefix = `rk${randomBytes(3).toString('hex')}-`;
    const keysDir = await mkdtemp(join(tmpdir(), 'clawfleet-router-keys-'));
    const env = {
      PATH: process.env['PATH'],
      HOME: keysDir,
      CLAWFLEET_DATA_DIR: keysDir,
      CLAWFLEET_DYNAMODB_ENDPOINT: dynamo.endpoint,
      CLAWFLEET_TABLE_PREFIX: prefix,
    };
    const run = (args: string[]) => promisify(execFile)(TSX, [MAIN, '-o', 'json', ...args], { env });
    try {
      await run(['admin', 'init']);
      await assert.rejects(run(['admin', 'router-keys']), /key file is missing/);
      const masterKey = await FileMasterKey.open(join(keysDir, 'keys', 'master.key'));
      const out = join(keysDir, 'router', 'router.key');
      const first = JSON.parse((await run(['admin', 'router-keys', '--out', out])).stdout);
      assert.deepEqual(first, { path: out, written: true });
      assert.equal((await stat(out)).mode & 0o777, 0o600);
      const material = await readRouterKeyFile(out);
      const doc = createDocumentClient(dynamo.client);
      assert.deepEqual(material, await routerKeyMaterial({ doc, tables: tableNames(prefix), masterKey }));
      const again = JSON.parse((await run(['admin', 'router-keys', '--out', out])).stdout);
      assert.equal(again.written, false);
    } finally {
      await rm(keysDir, { recursive: true, force: true });
    }
  });
});
