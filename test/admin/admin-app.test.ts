import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { pino } from 'pino';
import { loadConfig } from '../../common/config.js';
import { createAdminApp } from '../../admin/wiring.js';
import { startDynamo, type TestDynamo } from '../helpers/dynamo.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { createLocalEnv } from '../helpers/temporal.js';

describe('createAdminApp: the admin listener wired from configuration', function () {
  this.timeout(60_000);
  let dynamo: TestDynamo;
  let s3: TestS3;
  let redis: TestRedis;
  let env: TestWorkflowEnvironment;
  let dataDir: string;

  before(async () => {
    [dynamo, s3, redis, env] = await Promise.all([
      startDynamo(`app${randomBytes(3).toString('hex')}-`),
      startS3(),
      startTestRedis(),
      createLocalEnv(),
    ]);
    dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-adminapp-'));
  });
  after(async () => {
    await env?.teardown();
    await Promise.all([dynamo?.close(), s3?.close(), redis?.stop()]);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('bootstraps a platform token file and the router key file (both mode 600), and keeps them on the next start', async () => {
    const config = loadConfig({
      CLAWFLEET_DATA_DIR: dataDir,
      CLAWFLEET_DYNAMODB_ENDPOINT: dynamo.endpoint,
      CLAWFLEET_TABLE_PREFIX: dynamo.tables.tenants.replace(/tenants$/, ''),
      CLAWFLEET_S3_ENDPOINT: s3.endpoint,
      CLAWFLEET_S3_BUCKET: s3.bucket,
    });
    const start = () =>
      createAdminApp({
        config,
        logger: pino({ level: 'silent' }),
        readiness: {},
        connection: env.connection,
        redis: redis.client(),
      });
    const first = await start();
    const path = join(dataDir, 'keys', 'admin.token');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const token = (await readFile(path, 'utf8')).trim();
    const routerKeys = join(dataDir, 'keys', 'router.key');
    assert.equal(
      (await stat(routerKeys)).mode & 0o777,
      0o600,
      'the router starts from this, not the master key',
    );
    const routerKeyText = await readFile(routerKeys, 'utf8');
    const response = await first.app.inject({
      method: 'GET',
      url: '/v1/tenants',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(response.statusCode, 200, response.body);
    await first.app.close();
    await first.close();
    const second = await start();
    assert.equal((await readFile(path, 'utf8')).trim(), token, 'a valid token file is kept');
    assert.equal(await readFile(routerKeys, 'utf8'), routerKeyText, 'a current router key file is kept');
    await second.app.close();
    await second.close();
  });
});
