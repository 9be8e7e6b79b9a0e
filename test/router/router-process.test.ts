import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { masterKeyPath } from '../../common/config.js';
import { FakeWorld } from '../workflows/fake-world.js';
import { bundle } from '../workflows/harness.js';
import {
  eventually,
  RouterHarness,
  TEST_SETTINGS,
  telegramUpdate,
  type TestTenant,
} from './router-harness.js';
import { RouterProcess } from './router-process.js';
import { StandInSupervisor } from './stand-in-supervisor.js';

describe('the router process (router/server.ts in a child process with its key file, no master key; real Redis, Temporal dev server, dynalite)', function () {
  this.timeout(180_000);
  const h = new RouterHarness();
  const running: RouterProcess[] = [];
  let dataDir: string;

  before(async () => {
    await h.start();
    dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-router-process-'));
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((router) => router.stop()));
  });
  after(async () => {
    await h.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function startRouter(): Promise<RouterProcess> {
    const router = await RouterProcess.start(h, dataDir);
    running.push(router);
    return router;
  }

  const postUpdate = (router: RouterProcess, t: TestTenant, body: string) =>
    fetch(`${router.url}/tg/${t.tenantId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': t.webhookSecret },
      body,
    });

  it('SIGKILL right after Temporal accepted the signal: the update is delivered after a restart, and Telegram’s retry of the same update_id has exactly one effect', async () => {
    const t = await h.tenant();
    const body = JSON.stringify(telegramUpdate(800, 'survives a crash'));
    const first = await startRouter();
    // No endpoint: the cold path. Kill the process the moment the signal is in the workflow's history,
    // racing its answer to Telegram, as a crash between Temporal's accept and our reply would.
    const answer = postUpdate(first, t, body).then(
      (response) => response.status,
      () => 'no answer' as const,
    );
    await eventually(async () => (await h.deliveredSignals(t.tenantId)).length === 1, 'Temporal accepted');
    first.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');
    const seen = await answer;
    assert.ok(seen === 200 || seen === 'no answer', `Telegram saw ${seen}`);

    // Telegram retries what it did not see acknowledged (we retry either way: it is allowed to).
    const second = await startRouter();
    assert.equal((await postUpdate(second, t, body)).status, 200);

    const world = new FakeWorld(t.tenantId);
    const worker = await Worker.create({
      connection: h.env.nativeConnection,
      taskQueue: TEST_SETTINGS.temporal.taskQueue,
      workflowBundle: await bundle(),
      activities: createActivities(world.deps()),
    });
    await worker.runUntil(async () => {
      await eventually(() => world.delivered.some((e) => e.dedupeId === '800'), 'delivery of update 800');
      // Give a duplicate delivery, if the workflow made one, the time to happen.
      await eventually(
        async () => (await h.deliveredSignals(t.tenantId)).length === 2,
        'both signals in history',
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    });
    assert.equal(world.count('deliver 800'), 1, 'one delivery activity for the update and its retry');
    assert.equal(world.delivered[0]!.body, body, 'the raw update, byte for byte');
  });

  it('SIGTERM with a forward in flight: new connections are refused, the forward finishes with 200, the process exits 0', async () => {
    const t = await h.tenant();
    const supervisor = await new StandInSupervisor(t).start();
    const release = supervisor.holdAnswers();
    try {
      await h.publishEndpoint(t.tenantId, supervisor.endpoint);
      const router = await startRouter();
      const body = JSON.stringify(telegramUpdate(801));
      const inFlight = postUpdate(router, t, body);
      await eventually(() => supervisor.deliveries.length === 1, 'the forward reached the supervisor');

      router.kill('SIGTERM');
      // Refused on a fresh connection, or 503 (and closed) on a kept-alive one: nothing new is accepted.
      await eventually(
        () =>
          fetch(`${router.url}/healthz`).then(
            (r) => r.status === 503,
            () => true,
          ),
        'new requests refused',
        10_000,
      );
      release();
      const releasedAt = Date.now();
      const response = await inFlight;
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { ok: true, delivery: 'durable' });
      assert.deepEqual(await router.exited, { code: 0, signal: null }, router.log);
      assert.ok(Date.now() - releasedAt < 10_000, `exited ${Date.now() - releasedAt} ms after the forward`);
      assert.deepEqual(await h.deliveredSignals(t.tenantId), [], 'delivered on the hot path, not re-sent');
    } finally {
      release();
      await supervisor.stop();
    }
  });

  it('holds no master key: none in its environment, command line or open files, none created in its data dir; it forwards with a one-time signature', async () => {
    const t = await h.tenant();
    const supervisor = await new StandInSupervisor(t).start();
    try {
      await h.publishEndpoint(t.tenantId, supervisor.endpoint);
      const router = await startRouter();
      assert.equal(
        (await postUpdate(router, t, JSON.stringify(telegramUpdate(803)))).status,
        200,
        router.log,
      );
      assert.equal(supervisor.deliveries.length, 1, 'delivered on the hot path');
      assert.match(supervisor.authorizations[0]!, /^Clawfleet-Forward \d+\.[\w-]+\.[\w-]{43}$/);

      const proc = `/proc/${router.pid}`;
      const environ = (await readFile(`${proc}/environ`, 'utf8')).split('\0');
      assert.ok(!environ.some((v) => v.startsWith('CLAWFLEET_MASTER_KEY_FILE=')), 'no master key setting');
      assert.ok(!environ.some((v) => v.includes(h.masterKeyFile)), 'no master key path');
      assert.ok(!(await readFile(`${proc}/cmdline`, 'utf8')).includes('master'), 'not in argv');
      const fds = await readdir(`${proc}/fd`);
      const open = await Promise.all(fds.map((fd) => readlink(`${proc}/fd/${fd}`).catch(() => '')));
      assert.ok(!open.some((path) => /master\.key/.test(path)), open.join('\n'));
      assert.ok(open.every((path) => !path.startsWith(dirname(h.masterKeyFile)) || path === h.routerKeyFile));
      await assert.rejects(
        stat(masterKeyPath({ common: { dataDir, masterKeyFile: '' } })),
        { code: 'ENOENT' },
        'the default master key was not created either (FileMasterKey.open would have)',
      );
    } finally {
      await supervisor.stop();
    }
  });

  it('without its key file it does not start (there is no master key to fall back to)', async () => {
    await assert.rejects(
      RouterProcess.start(h, dataDir, join(dataDir, 'no-such-router.key')),
      /router exited during start[\s\S]*router key file \S+ missing/,
    );
  });

  it('/readyz names Redis when it stops, and updates still go through Temporal (last: stops Redis)', async () => {
    const t = await h.tenant();
    const router = await startRouter();
    const ready = await fetch(`${router.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', dependencies: { redis: 'ok', temporal: 'ok' } });
    await h.redis.stop();
    const notReady = await fetch(`${router.url}/readyz`);
    assert.equal(notReady.status, 503);
    assert.deepEqual(await notReady.json(), {
      status: 'not ready',
      dependencies: { redis: 'unavailable', temporal: 'ok' },
    });
    const body = JSON.stringify(telegramUpdate(802));
    assert.equal((await postUpdate(router, t, body)).status, 200, router.log);
    assert.deepEqual(
      (await h.deliveredSignals(t.tenantId)).map((e) => e.body),
      [body],
    );
  });
});
