/**
 * Local tenants outlive their worker: a runtime process killed with SIGKILL
 * (a worker crash) leaves its supervisors serving, a runtime started within
 * the adoption window adopts them (same processes, same endpoints, no
 * restart), and without one they drain themselves once the window is over,
 * so nothing outlives the stack. Real supervisors around the stand-in
 * OpenClaw, real s3rver; the killed runtime is a process of its own.
 */
import { strict as assert } from 'node:assert';
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { LocalRuntime } from '../../local/local-runtime.js';
import { startTimeOf } from '../../local/process-identity.js';
import { processesMentioning } from '../../local/process-sweep.js';
import { releaseTenants } from '../../local/release-tenants.js';
import { SupervisorAgentClient } from '../../runtime/supervisor-client.js';
import { newestSnapshot, PodLostRecorder } from '../helpers/runtime-contract.js';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { testGrants, type TestGrants } from '../helpers/snapshot-grants.js';
import { recordingSalvage, standInPlan, standInSpec } from './stand-in-plan.js';
import { runtimeKilledWith as killedRuntime, type HostedPod } from './killed-runtime.js';

const runtimeKilledWith = (
  s3: TestS3,
  dataDir: string,
  portBase: number,
  windowMs: number,
  tenants: string[],
  signal: NodeJS.Signals = 'SIGKILL',
) => killedRuntime({ s3, dataDir, portBase, windowMs, tenants, signal });

/** Running, not exited: an orphaned supervisor's zombie waits for init to reap it. */
const alive = (pid: number) => startTimeOf(pid) !== null;

describe('local runtime: tenants outlive a killed worker', function () {
  this.timeout(120_000);
  let s3: TestS3;
  let dataDir: string;
  let grants: TestGrants;

  before(async () => {
    s3 = await startS3('worker-restart');
    dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-restart-'));
    grants = await testGrants(s3, join(dataDir, 'master.key'));
  });
  after(async () => {
    grants?.close();
    await s3?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('a runtime started within the window adopts the same supervisors: same pids and endpoints, lost and stop still work', async () => {
    const portBase = 23_000 + 40 * randomInt(0, 200);
    const [a, b] = [`wr-a-${Date.now().toString(36)}`, `wr-b-${Date.now().toString(36)}`];
    const hosted = await runtimeKilledWith(s3, dataDir, portBase, 60_000, [a, b]);
    // Well past the stdin-pipe era: a supervisor that drained on its parent's death would be gone by now.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    for (const pod of hosted) assert.ok(alive(pod.pid), `${pod.podId} still serves without its worker`);

    const tokens = new Map(hosted.map((p) => [p.podId, p.token]));
    const supervisor = new SupervisorAgentClient({ token: (handle) => tokens.get(handle.podId)! });
    const events = new PodLostRecorder();
    const runtime = new LocalRuntime({
      dataDir,
      portBase,
      capacity: 4,
      plan: standInPlan(grants),
      events,
      salvage: () => Promise.resolve(null),
      logger: pino({ level: 'silent' }),
      warmSupervisors: 0,
      stopGraceMs: 10_000,
      drain: (handle, options) => supervisor.drain(handle, options),
    });
    try {
      assert.deepEqual((await runtime.adoptRunning()).sort(), hosted.map((p) => p.podId).sort());
      const [podA, podB] = hosted as [HostedPod, HostedPod];
      const again = await runtime.launch(standInSpec(a, 1));
      assert.equal(again.endpoint, podA.endpoint, 'the launch adopted the running pod');
      assert.equal(runtime.supervisorPid(a), podA.pid, 'the same process, not a restart');
      assert.equal((await fetch(`${podA.endpoint}/readyz`)).status, 200);

      process.kill(podB.pid, 'SIGKILL');
      const lost = await events.waitFor(podB.podId, 2_000);
      assert.ok(lost, 'an adopted pod that dies is reported lost within 2 s');
      assert.equal(
        await runtime.stop(podB, { graceMs: 10_000 }),
        null,
        'its stop succeeds (no salvage wired here)',
      );

      const manifest = await runtime.stop(podA, { graceMs: 10_000 });
      assert.ok(manifest, 'an adopted pod drains like one this runtime started');
      assert.equal(manifest.seq, (await newestSnapshot(grants.store, a))?.seq);
      assert.equal((await runtime.describe(podA)).state, 'gone');
    } finally {
      await runtime.close();
    }
    assert.deepEqual(await processesMentioning(dataDir), [], 'no process of either runtime left');
  });

  it('a supervisor that served and died while no runtime watched is not adopted; its stop salvages what it left', async () => {
    const portBase = 23_000 + 40 * randomInt(600, 800);
    const tenant = `wr-e-${Date.now().toString(36)}`;
    const [pod] = (await runtimeKilledWith(s3, dataDir, portBase, 60_000, [tenant])) as [HostedPod];
    process.kill(pod.pid, 'SIGKILL'); // a crash while the worker is down: nobody sees it exit
    const salvaged: string[] = [];
    const runtime = new LocalRuntime({
      dataDir,
      portBase,
      capacity: 4,
      plan: standInPlan(grants),
      events: new PodLostRecorder(),
      salvage: recordingSalvage(grants, salvaged),
      logger: pino({ level: 'silent' }),
      warmSupervisors: 0,
      stopGraceMs: 10_000,
      drain: () => Promise.reject(new Error('a dead pod is never drained')),
    });
    try {
      assert.deepEqual(await runtime.adoptRunning(), [], 'nothing to adopt');
      // What the workflow does on the podLost the worker's reconciliation sends: stop the pod it knew, then relaunch.
      const manifest = await runtime.stop(pod, { graceMs: 10_000 });
      assert.deepEqual(salvaged, [tenant], 'its state dir was salvaged, not wiped');
      assert.ok(manifest, 'the salvage is the newest snapshot');
      assert.equal(manifest.seq, (await newestSnapshot(grants.store, tenant))?.seq);
      assert.equal(await runtime.stop(pod, { graceMs: 10_000 }), null, 'salvaged once');
    } finally {
      await runtime.close();
    }
    assert.deepEqual(await processesMentioning(join(dataDir, 'tenants', tenant)), []);
  });

  it('without a runtime, supervisors drain themselves once the window is over (nothing outlives the stack)', async () => {
    const portBase = 23_000 + 40 * randomInt(200, 400);
    const tenant = `wr-c-${Date.now().toString(36)}`;
    const [pod] = (await runtimeKilledWith(s3, dataDir, portBase, 5_000, [tenant])) as [HostedPod];
    const deadline = Date.now() + 30_000;
    while (alive(pod.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(!alive(pod.pid), 'the supervisor exited after the 5 s window');
    assert.ok(await newestSnapshot(grants.store, tenant), 'it drained: its final snapshot is in the store');
    assert.deepEqual(
      await processesMentioning(join(dataDir, 'tenants', tenant)),
      [],
      'its OpenClaw is gone too',
    );
  });

  it('a planned stop (SIGTERM) hands the tenants over; the end of the stack (releaseTenants) drains them at once', async () => {
    const portBase = 23_000 + 40 * randomInt(400, 600);
    const tenant = `wr-d-${Date.now().toString(36)}`;
    const [pod] = (await runtimeKilledWith(s3, dataDir, portBase, 60_000, [tenant], 'SIGTERM')) as [
      HostedPod,
    ];
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.ok(alive(pod.pid), 'handed over: still serving after its worker stopped');
    assert.equal((await fetch(`${pod.endpoint}/readyz`)).status, 200);
    const started = Date.now();
    await releaseTenants(dataDir);
    assert.ok(!alive(pod.pid), 'released: the supervisor is gone');
    assert.ok(
      Date.now() - started < 20_000,
      `released within a drain, not the 60 s window (${Date.now() - started} ms)`,
    );
    assert.ok(await newestSnapshot(grants.store, tenant), 'it drained: its final snapshot is in the store');
  });
});
