/**
 * A live snapshot while the snapshot store is down (s3rver killed in the
 * chaos run): it fails, and it does not fall back to `openclaw backup create`,
 * which would fail the same way after seconds of CPU taken from the tenant.
 */
import { strict as assert } from 'node:assert';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { FileMasterKey } from '../../common/crypto.js';
import { S3SnapshotStore } from '../../snapshots/s3-snapshot-store.js';
import { OpenClawCli } from '../../supervisor/openclaw-cli.js';
import { StateSync } from '../../supervisor/state-sync.js';
import { startS3 } from '../helpers/s3.js';

describe('live snapshot with the snapshot store down', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'clawfleet-live-snapshot-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('fails without running openclaw backup create', async () => {
    const s3 = await startS3();
    await s3.close(); // the store was there and is gone: every request is refused
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    const store = new S3SnapshotStore({
      s3: client,
      bucket: s3.bucket,
      masterKey: await FileMasterKey.open(join(dir, 'master.key'), { create: true }),
    });
    const stateDir = join(dir, 'state');
    await mkdir(join(stateDir, 'workspace'), { recursive: true });
    await writeFile(join(stateDir, 'workspace', 'SOUL.md'), 'be kind');
    // A stand-in for the OpenClaw CLI that leaves a mark when it is run at all.
    const marker = join(dir, 'backup-ran');
    const entry = join(dir, 'openclaw.mjs');
    await writeFile(
      entry,
      `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(marker)}, ''); process.exit(1);`,
    );
    const cli = new OpenClawCli({ node: process.execPath, entry, env: {}, cwd: dir });
    const sync = new StateSync({
      store,
      tenantId: 'store-down',
      stateDir,
      workDir: join(dir, 'work'),
      openclawVersion: 'test',
      logger: pino({ level: 'silent' }),
    });
    try {
      await assert.rejects(sync.snapshotLive(cli));
      await assert.rejects(access(marker), 'openclaw backup create was not run');
    } finally {
      client.destroy();
    }
  });
});
