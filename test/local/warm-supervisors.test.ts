/**
 * The local runtime's pre-spawned supervisors: a claimed one becomes the
 * tenant's supervisor (its address, its log file, its secrets from the claim),
 * and idle ones never outlive the pool. Stand-in OpenClaw child, real s3rver.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processesMentioning } from '../../local/process-sweep.js';
import { SupervisorProcess } from '../../local/supervisor-process.js';
import { parseSpec } from '../../supervisor/supervisor-config.js';
import { WarmSupervisors } from '../../local/warm-supervisors.js';
import { keepBeating } from '../../common/runtime-heartbeat.js';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { testGrants, type TestGrants } from '../helpers/snapshot-grants.js';
import { freePort } from './gateway-process.js';

const STAND_IN = join(import.meta.dirname, '..', 'supervisor', 'stand-in-openclaw.mjs');

describe('local runtime: warm supervisors', function () {
  this.timeout(60_000);

  let s3: TestS3;
  let dir: string;
  let grants: TestGrants;

  before(async () => {
    s3 = await startS3('warm-supervisors');
    dir = await mkdtemp(join(tmpdir(), 'clawfleet-warm-'));
    grants = await testGrants(s3, join(dir, 'master.key'));
  });

  after(async () => {
    grants?.close();
    await s3?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a claimed warm supervisor serves the tenant: its address, its log file, secrets from the claim', async () => {
    const dataDir = join(dir, 'claim-data');
    await mkdir(dataDir, { recursive: true });
    const heartbeat = { file: join(dataDir, 'runtime.heartbeat'), windowMs: 60_000 };
    const stopBeating = keepBeating(heartbeat.file);
    const pool = new WarmSupervisors({ size: 1, dataDir, logFile: join(dataDir, 'warm.log'), heartbeat });
    pool.fill();
    const rootDir = join(dataDir, 'tenants', 'warm-tenant');
    await mkdir(join(rootDir, 'logs'), { recursive: true });
    const [port, gatewayPort, webhookPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const specPath = join(rootDir, 'spec.json');
    const spec = {
      tenantId: 'warm-tenant',
      listen: { host: '127.0.0.1', port },
      gateway: { host: '127.0.0.1', port: gatewayPort },
      rootDir,
      openclaw: { version: 'stand-in', node: process.execPath, entry: STAND_IN },
      provider: { name: 'fake', baseUrl: 'http://127.0.0.1:1/v1', modelId: 'fake-model' },
      telegram: { webhookUrl: 'http://127.0.0.1:1/tg/warm-tenant', webhookPort },
      snapshots: {},
      logLevel: 'info',
    };
    await writeFile(specPath, JSON.stringify(spec));
    const supervisorToken = randomBytes(24).toString('hex');
    const secrets = {
      supervisorToken,
      gatewayToken: randomBytes(24).toString('hex'),
      telegramBotToken: '123:stand-in',
      telegramWebhookSecret: randomBytes(16).toString('hex'),
      modelApiKey: 'unused',
      snapshotGrant: await grants.issue('warm-tenant'),
    };
    const logFile = join(rootDir, 'logs', 'supervisor.log');
    const warm = pool.take();
    assert.ok(warm, 'the pool had an idle process');
    assert.equal(pool.take(), undefined, 'one idle process at size 1');
    const supervisor = await SupervisorProcess.claim(
      warm,
      { rootDir, specPath, secrets, logFile, heartbeat },
      parseSpec(spec),
    );
    try {
      // The claim resolved once the process took it (a freshly spawned one is retried until it listens).
      let ready: Response | null = null;
      for (const deadline = Date.now() + 30_000; !ready && Date.now() < deadline;) {
        ready = await fetch(`http://127.0.0.1:${port}/readyz?waitMs=30000`).catch(() => null);
        if (!ready) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(ready?.status, 200, await readFile(logFile, 'utf8').catch(() => 'no tenant log'));
      const activity = await fetch(`http://127.0.0.1:${port}/activity`, {
        headers: { authorization: `Bearer ${supervisorToken}` },
      });
      assert.equal(activity.status, 200, 'the claim carried the supervisor token');
      const log = await readFile(logFile, 'utf8');
      assert.match(log, /"msg":"gateway ready"/, 'the supervisor writes to the tenant log');
      assert.ok(!log.includes(supervisorToken), 'no secret in the log');
      assert.ok(!(await readFile(join(dataDir, 'warm.log'), 'utf8').catch(() => '')).includes('gateway'));
    } finally {
      await supervisor.terminate(10_000);
      await pool.close();
      stopBeating();
    }
    assert.deepEqual(await processesMentioning(dataDir), [], 'nothing of the pool or the tenant left');
  });

  it('idle warm supervisors exit when the pool closes', async () => {
    const dataDir = join(dir, 'idle-data');
    await mkdir(dataDir, { recursive: true });
    const heartbeat = { file: join(dataDir, 'runtime.heartbeat'), windowMs: 60_000 };
    const pool = new WarmSupervisors({ size: 2, dataDir, logFile: join(dataDir, 'warm.log'), heartbeat });
    pool.fill();
    assert.equal((await processesMentioning(dataDir)).length, 2);
    await pool.close();
    assert.deepEqual(await processesMentioning(dataDir), []);
    pool.fill();
    assert.equal(pool.take(), undefined, 'a closed pool spawns nothing');
  });
});
