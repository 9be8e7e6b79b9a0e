/**
 * The runtime contract against the local driver: a real LocalRuntime whose
 * tenants are real supervisor processes (supervisor/main.ts, claimed from its warm
 * supervisors) around the stand-in OpenClaw child, saving snapshots to
 * s3rver through real grants, and salvaging a dead pod's state with the
 * worker's StateSync. No Temporal, no real OpenClaw.
 */
import { strict as assert } from 'node:assert';
import { randomInt } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { PodHandle } from '../../activities/ports.js';
import { LocalRuntime } from '../../local/local-runtime.js';
import { processesMentioning } from '../../local/process-sweep.js';
import {
  newestSnapshot,
  PodLostRecorder,
  runtimeContract,
  type ContractSubject,
} from '../helpers/runtime-contract.js';
import { startS3 } from '../helpers/s3.js';
import { testGrants } from '../helpers/snapshot-grants.js';
import { recordingSalvage, standInPlan, standInSpec } from './stand-in-plan.js';

const logger = pino({ level: 'silent' });
let counter = 0;

const isWarmProcess = async (pid: number | undefined, dataDir: string) =>
  pid !== undefined &&
  (await readFile(`/proc/${pid}/environ`).catch(() => Buffer.alloc(0))).includes(
    `CLAWFLEET_WARM_POOL=${dataDir}`,
  );

interface LocalSubject extends ContractSubject {
  readonly runtime: LocalRuntime;
  /** Tenants whose lost pod's stop salvaged their state dir. */
  readonly salvaged: string[];
}

async function localSubject(): Promise<LocalSubject> {
  const s3 = await startS3('local-contract');
  const dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-local-contract-'));
  const grants = await testGrants(s3, join(dataDir, 'master.key'));
  const events = new PodLostRecorder();
  const salvaged: string[] = [];
  const runtime = new LocalRuntime({
    dataDir,
    portBase: 21_000 + 40 * randomInt(0, 400),
    capacity: 4,
    capacityWaitMs: 5_000,
    plan: standInPlan(grants),
    events,
    salvage: recordingSalvage(grants, salvaged),
    logger,
    stopGraceMs: 10_000,
    warmSupervisors: 1,
  });
  await runtime.prewarm();
  const tenantOf = (handle: PodHandle) =>
    runtime.awake().find((p) => p.podId === handle.podId)?.tenantId ?? assert.fail(`${handle.podId} awake`);
  return {
    runtime,
    events,
    salvaged,
    spec: standInSpec,
    newTenant: () => `lc-${Date.now().toString(36)}-${counter++}`,
    identity: (handle) => Promise.resolve(`pid ${runtime.supervisorPid(tenantOf(handle))}`),
    kill: (handle) => {
      const pid = runtime.supervisorPid(tenantOf(handle));
      assert.ok(pid, `a supervisor process for ${handle.podId}`);
      process.kill(pid, 'SIGKILL');
      return Promise.resolve();
    },
    latestSnapshot: (tenantId) => newestSnapshot(grants.store, tenantId),
    warm: {
      spec: standInSpec,
      // Idle pool processes carry the pool marker but serve no tenant yet.
      ready: async () => {
        const deadline = Date.now() + 30_000;
        for (;;) {
          const serving = new Set(runtime.awake().map((p) => runtime.supervisorPid(p.tenantId)));
          const idle = (await processesMentioning(`CLAWFLEET_WARM_POOL=${dataDir}`)).filter(
            (pid) => !serving.has(pid),
          );
          if (idle.length > 0) return;
          assert.ok(Date.now() < deadline, 'an idle warm supervisor within 30 s');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
      // A supervisor spawned for the launch never has the pool marker in its environment.
      claimed: (handle) => isWarmProcess(runtime.supervisorPid(tenantOf(handle)), dataDir),
    },
    cleanup: async () => {
      await runtime.close();
      grants.close();
      await s3.close();
      assert.deepEqual(await processesMentioning(dataDir), [], 'no process of the runtime left');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

runtimeContract('local processes', localSubject);

describe('local runtime: the stop of a pod that died on its own', function () {
  let subject: LocalSubject;
  before(async () => (subject = await localSubject()));
  after(async () => subject?.cleanup?.());

  it('returns what its state dir held, salvaged into a new snapshot (the newest of the tenant)', async function () {
    const spec = subject.spec(subject.newTenant(), 1);
    const handle = await subject.runtime.launch(spec);
    await subject.kill(handle);
    assert.ok(await subject.events.waitFor(handle.podId, 2_000), 'reported lost');
    const manifest = await subject.runtime.stop(handle, { graceMs: 5_000 });
    assert.deepEqual(subject.salvaged, [spec.tenantId]);
    assert.ok(manifest && manifest.seq > 0, 'a salvaged snapshot');
    assert.deepEqual(await subject.latestSnapshot(spec.tenantId), manifest);
    assert.equal(await subject.runtime.stop(handle, { graceMs: 5_000 }), null, 'salvaged once');
  });
});

/** The freezer group (under /sys/fs/cgroup/freezer) a process is in. */
async function freezerOf(pid: number): Promise<string | null> {
  const text = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
  return /^\d+:freezer:(.*)$/m.exec(text)?.[1] ?? null;
}

/** utime + stime of the processes, in clock ticks. */
async function cpuTicks(pids: readonly number[]): Promise<number> {
  const stats = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')));
  return stats
    .map((stat) => stat.slice(stat.lastIndexOf(')') + 2).split(' '))
    .reduce((sum, fields) => sum + Number(fields[11] ?? 0) + Number(fields[12] ?? 0), 0);
}

describe('local runtime: the paused tier (cgroup freezer)', function () {
  let subject: LocalSubject;
  before(async () => (subject = await localSubject()));
  after(async () => subject?.cleanup?.());

  it('pause freezes every process of the pod (no CPU, no answer), resume thaws it and it answers again', async function () {
    const spec = subject.spec(subject.newTenant(), 1);
    const handle = await subject.runtime.launch(spec);
    // The supervisor (a claimed warm one carries the pool's marker) and whatever carries the tenant dir.
    const pids = [
      ...new Set([
        subject.runtime.supervisorPid(spec.tenantId)!,
        ...(await processesMentioning(`/tenants/${spec.tenantId}`)),
      ]),
    ];
    assert.ok(pids.length >= 2, `the supervisor and its OpenClaw child: ${pids.join(',')}`);

    assert.equal(await subject.runtime.pause(handle), true);
    assert.equal((await subject.runtime.describe(handle)).state, 'paused');
    const listed = (await subject.runtime.capacity()).pods.find((p) => p.podId === handle.podId);
    assert.equal(listed?.state, 'paused');
    assert.ok(
      listed?.pausedAt && Date.parse(listed.pausedAt) <= Date.now(),
      'pausedAt for the eviction order',
    );
    const groups = new Set(await Promise.all(pids.map(freezerOf)));
    assert.equal(groups.size, 1, `every process in one freezer group: ${[...groups].join(', ')}`);
    const group = [...groups][0]!;
    assert.match(group, /^\/clawfleet-paused\//);
    assert.equal((await readFile(`/sys/fs/cgroup/freezer${group}/freezer.state`, 'utf8')).trim(), 'FROZEN');
    const before = await cpuTicks(pids);
    await assert.rejects(
      fetch(`${handle.endpoint}/healthz`, { signal: AbortSignal.timeout(1_000) }),
      'a frozen supervisor does not answer',
    );
    assert.equal(await cpuTicks(pids), before, 'no CPU time while paused');
    assert.equal(await subject.runtime.pause(handle), true, 'pausing a paused pod is success');

    const started = performance.now();
    const atThaw: { request?: Promise<Response>; beforeConfirmed?: boolean } = {};
    let confirmed = false;
    const resumed = subject.runtime.resume(handle, {
      // What the paused tier's resume does here: its first delivery, sent beside the runtime's own check.
      onThawed: () => {
        atThaw.beforeConfirmed = !confirmed;
        atThaw.request = fetch(`${handle.endpoint}/healthz`);
      },
    });
    assert.deepEqual(await resumed, handle, 'the same pod: its handle, isolation included');
    confirmed = true;
    const resumeMs = performance.now() - started;
    assert.equal(atThaw.beforeConfirmed, true, 'onThawed is called before the resume is confirmed');
    assert.equal((await atThaw.request!).status, 200, 'a request sent at the thaw is answered');
    assert.ok(resumeMs < 1_000, `resumed in ${resumeMs.toFixed(0)} ms`);
    assert.equal((await subject.runtime.describe(handle)).state, 'ready');
    assert.equal((await readFile(`/sys/fs/cgroup/freezer${group}/freezer.state`, 'utf8')).trim(), 'THAWED');
    assert.equal((await fetch(`${handle.endpoint}/healthz`)).status, 200);
    assert.deepEqual(
      await subject.runtime.resume(handle),
      handle,
      'the same pod: its handle, isolation included',
    );

    const manifest = await subject.runtime.stop(handle, { graceMs: 10_000 });
    assert.ok(manifest && manifest.seq > 0, 'a resumed pod drains as any other');
  });

  it('a pod that does not answer after its thaw fails the resume within seconds and is then stopped without a drain', async function () {
    const spec = subject.spec(subject.newTenant(), 1);
    const handle = await subject.runtime.launch(spec);
    const pid = subject.runtime.supervisorPid(spec.tenantId)!;
    await subject.runtime.pause(handle);
    process.kill(pid, 'SIGSTOP'); // the thaw does not continue a stopped process: its supervisor stays silent
    const started = performance.now();
    let thawed = false;
    await assert.rejects(
      subject.runtime.resume(handle, { onThawed: () => (thawed = true) }),
      /did not answer ready after its thaw/,
    );
    assert.ok(thawed, 'thawed, then found silent: what onThawed started is the caller’s to cancel');
    assert.ok(performance.now() - started < 5_000, 'the resume gives up within seconds');
    assert.equal((await subject.runtime.describe(handle)).state, 'paused', 'not taken for a serving pod');
    const stopping = performance.now();
    assert.equal(await subject.runtime.stop(handle, { graceMs: 5_000 }), null, 'no drain of a silent pod');
    assert.ok(performance.now() - stopping < 8_000, 'stopped without waiting for a drain');
    assert.equal((await subject.runtime.describe(handle)).state, 'gone');
  });

  it('stopping a paused pod (deep sleep, eviction) thaws and ends every process, and removes its freezer group', async function () {
    const spec = subject.spec(subject.newTenant(), 1);
    const handle = await subject.runtime.launch(spec);
    const pid = subject.runtime.supervisorPid(spec.tenantId)!;
    await subject.runtime.pause(handle);
    const group = (await freezerOf(pid))!;
    await subject.runtime.stop(handle, { graceMs: 5_000 });
    assert.equal((await subject.runtime.describe(handle)).state, 'gone');
    assert.equal(await freezerOf(pid), null, 'the supervisor is gone');
    await assert.rejects(readFile(`/sys/fs/cgroup/freezer${group}/freezer.state`), 'the group is removed');
    await assert.rejects(subject.runtime.resume(handle), /cannot resume .*: gone/);
  });
});
