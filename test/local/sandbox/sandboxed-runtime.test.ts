/**
 * The local runtime with the sandbox on, around real supervisors and the
 * stand-in OpenClaw (copied into an install layout of its own, as the real
 * one is): a launch becomes ready through the inherited listening socket and
 * restores through the snapshot-store egress; its processes run as the slot's
 * uid inside the slot's cgroups; a stop drains through the same socket and
 * empties the sandbox; a process of the tenant going over the memory limit
 * ends the whole tenant, reported lost with reason `out-of-memory`; and an
 * egress destination in a refused range that nobody listed refuses the
 * launch with a line that says so.
 */
import { mountsUnder } from '../../../local/sandbox/leftover-mounts.js';
import { strict as assert } from 'node:assert';
import { randomInt } from 'node:crypto';
import { execFile, spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { PodSpec } from '../../../activities/ports.js';
import { LocalRuntime } from '../../../local/local-runtime.js';
import { releaseTenants } from '../../../local/release-tenants.js';
import { TIER_LIMITS } from '../../../local/sandbox/limits.js';
import { isMountPoint } from '../../../local/sandbox/tenant-disks.js';
import type { Placement } from '../../../runtime/launch-plan.js';
import { newestSnapshot, PodLostRecorder } from '../../helpers/runtime-contract.js';
import { SupervisorAgentClient } from '../../../runtime/supervisor-client.js';
import { startS3 } from '../../helpers/s3.js';
import { testGrants, type TestGrants } from '../../helpers/snapshot-grants.js';
import { standInPlan, standInSpec } from '../stand-in-plan.js';

const logger = pino({ level: 'silent' });
const MiB = 1024 * 1024;
const UID_BASE = 340_000 + 300 * randomInt(0, 100);
const CACHE_TAG = 'v24.0.0-x64-0000test';

const run = promisify(execFile);

/** Polls `find` until it returns something, or fails naming `what`. */
async function waitFor<T>(
  find: () => T | undefined | Promise<T | undefined>,
  ms: number,
  what: string,
): Promise<T> {
  for (
    const deadline = Date.now() + ms;
    Date.now() < deadline;
    await new Promise((r) => setTimeout(r, 100))
  ) {
    const found = await find();
    if (found !== undefined) return found;
  }
  throw new Error(`no ${what} within ${ms} ms`);
}

const uidOf = async (pid: number) =>
  Number(/^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]);

describe('the local runtime with the sandbox on (real supervisors, stand-in OpenClaw)', function () {
  this.timeout(120_000);
  let s3: Awaited<ReturnType<typeof startS3>>;
  let dataDir: string;
  let grants: TestGrants;
  let runtime: LocalRuntime;
  let events: PodLostRecorder;
  let standIn: string;
  let modelUrl = 'http://127.0.0.1:1/v1';
  let portBase: number;
  const tokens = new Map<string, string>();

  before(async () => {
    s3 = await startS3('sandboxed-runtime');
    dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-sandboxed-runtime-'));
    grants = await testGrants(s3, join(dataDir, 'master.key'));
    // The stand-in in an install layout of its own: the sandbox binds the install, not the repo's test dir.
    const install = join(dataDir, 'install', 'node_modules', 'openclaw');
    await mkdir(install, { recursive: true });
    standIn = join(install, 'openclaw.mjs');
    await copyFile(join(import.meta.dirname, '..', '..', 'supervisor', 'stand-in-openclaw.mjs'), standIn);
    // A warmed compile cache as the worker's user leaves it (Node names its directory <tag>-<uid>).
    const cached = join(dataDir, 'install', 'compile-cache', `${CACHE_TAG}-${process.getuid!()}`);
    await mkdir(cached, { recursive: true, mode: 0o755 });
    await writeFile(join(cached, 'entry'), 'code cache', { mode: 0o644 });
    events = new PodLostRecorder();
    portBase = 21_000 + 40 * randomInt(0, 400);
    runtime = sandboxedRuntime();
  });

  /** A runtime on the shared data dir; the drain finds the token of a pod an earlier runtime launched too. */
  function sandboxedRuntime(): LocalRuntime {
    const plan = standInPlan(grants);
    const drainClient = new SupervisorAgentClient({ token: (handle) => tokens.get(handle.podId)! });
    return new LocalRuntime({
      dataDir,
      portBase,
      capacity: 4,
      capacityWaitMs: 5_000,
      plan: async (pod: PodSpec, placement: Placement, rootDir: string) => {
        const planned = await plan(pod, placement, rootDir);
        tokens.set(pod.podId, planned.secrets.supervisorToken!);
        const provider = { ...planned.spec.provider, baseUrl: modelUrl };
        const openclaw = { ...planned.spec.openclaw, entry: standIn };
        return { ...planned, spec: { ...planned.spec, provider, openclaw } };
      },
      events,
      salvage: () => Promise.resolve(null),
      logger,
      stopGraceMs: 10_000,
      drain: (handle, options) => drainClient.drain(handle, options),
      sandbox: {
        uidBase: UID_BASE,
        egressAllow: [new URL(s3.endpoint).host, '127.0.0.1:1'],
        limits: { ...TIER_LIMITS, standard: { ...TIER_LIMITS.standard, memoryMaxBytes: 512 * MiB } },
      },
    });
  }

  after(async () => {
    await runtime?.close();
    await s3?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('launches into the slot sandbox, serves through the handed-in socket, and a stop empties it', async () => {
    const spec = standInSpec('sbx-a', 1);
    const handle = await runtime.launch(spec, {});
    const pid = runtime.supervisorPid('sbx-a')!;
    const sandbox = runtime.sandboxOf('sbx-a')!;
    const pids = await sandbox.cgroup.pids();
    assert.ok(pids.includes(pid), 'the supervisor (bwrap) is in the slot cgroup');
    // bubblewrap's two processes stay root (outside the mount view); everything they start runs as the slot uid.
    const owners = await Promise.all(
      pids.map(async (p) => ({
        comm: (await readFile(`/proc/${p}/comm`, 'utf8')).trim(),
        uid: await uidOf(p),
      })),
    );
    const tenant = owners.filter((o) => o.comm !== 'bwrap');
    assert.ok(tenant.length >= 2, `the supervisor and OpenClaw: ${JSON.stringify(owners)}`);
    for (const owner of tenant) assert.equal(owner.uid, UID_BASE, JSON.stringify(owner));
    assert.equal((await fetch(`${handle.endpoint}/healthz`)).status, 200);
    const rootDir = join(dataDir, 'tenants', 'sbx-a');
    assert.ok(await isMountPoint(rootDir), 'the tenant dir is its disk budget while awake');
    await runtime.stop(handle, { graceMs: 10_000 });
    assert.deepEqual(await sandbox.cgroup.pids(), []);
    assert.ok(!(await isMountPoint(rootDir)), 'and unmounted once its stop is done');
  });

  it('a wake claims a pre-built sandbox: its warm supervisor is the slot uid in the slot cgroups and netns, and sees only its own tenant', async () => {
    // sbx-a's wake was served, so the pool pre-built a sandbox on the next free slot for the same template.
    const warm = await waitFor(() => runtime.prebuiltSandboxes()[0], 20_000, 'a pre-built sandbox');
    const warmPid = warm.process.child.pid!;
    const uid = UID_BASE + warm.slot;
    // A neighbour's dir with its state on the host: it must not appear inside.
    await mkdir(join(dataDir, 'tenants', 'sbx-other', 'state'), { recursive: true, mode: 0o700 });
    await writeFile(join(dataDir, 'tenants', 'sbx-other', 'state', 'secret'), 'neighbour state');
    const inside = async (pid: number, ...command: string[]) =>
      (await run('nsenter', ['-t', String(pid), '-m', '-n', `-S${uid}`, `-G${uid}`, '--', ...command]))
        .stdout;
    const node = async () => {
      const pids = await warm.sandbox.cgroup.pids();
      const exes = await Promise.all(pids.map((p) => readlink(`/proc/${p}/exe`).catch(() => '')));
      return pids.find((_, i) => exes[i] === realpathSync(process.execPath)); // node, not bwrap or esbuild
    };
    const idle = await waitFor(node, 20_000, 'the warm process in the sandbox cgroups');
    assert.equal(await uidOf(idle), uid, 'the idle warm process already runs as the slot uid');
    assert.equal(
      await inside(idle, 'ls', '-A', join(dataDir, 'tenants')),
      '',
      'no tenant data before the claim',
    );

    const handle = await runtime.launch(standInSpec('sbx-warm', 1), {});
    assert.equal(runtime.supervisorPid('sbx-warm'), warmPid, 'the warm process became the supervisor');
    assert.equal(runtime.sandboxOf('sbx-warm'), warm.sandbox);
    // This runtime's standard tier (the tenant's) has 512 MiB; the pool builds with the free tier's.
    assert.equal(runtime.sandboxOf('sbx-warm')!.limits.memoryMaxBytes, 512 * MiB, 'the tenant tier limits');
    assert.equal((await fetch(`${handle.endpoint}/healthz`)).status, 200);
    const supervisor = await waitFor(node, 5_000, 'the supervisor in the sandbox cgroups');
    assert.equal(await uidOf(supervisor), uid);
    const netns = (await stat(`/run/netns/${warm.sandbox.netns}`)).ino;
    assert.equal((await stat(`/proc/${supervisor}/ns/net`)).ino, netns, 'in the slot network namespace');
    const memory = warm.sandbox.cgroup.dir('memory');
    assert.equal((await readFile(join(memory, 'memory.limit_in_bytes'), 'utf8')).trim(), String(512 * MiB));
    const own = join(dataDir, 'tenants', 'sbx-warm');
    assert.equal(await inside(supervisor, 'ls', '-A', join(dataDir, 'tenants')), 'sbx-warm\n');
    assert.match(await inside(supervisor, 'ls', join(own, 'logs')), /supervisor\.log/);
    await assert.rejects(inside(supervisor, 'cat', join(dataDir, 'tenants', 'sbx-other', 'state', 'secret')));
    // The shared compile cache under the slot uid's own name (compile-cache-links.ts), read-only inside.
    const cached = join(dataDir, 'install', 'compile-cache', `${CACHE_TAG}-${uid}`, 'entry');
    assert.equal(
      await inside(supervisor, 'cat', cached),
      'code cache',
      "the worker's cache entries, as the slot uid",
    );
    await assert.rejects(inside(supervisor, 'touch', `${cached}.new`), 'and the tenant cannot add to them');
    assert.match(await readFile(join(own, 'logs', 'supervisor.log'), 'utf8'), /warm supervisor claimed/);

    await runtime.stop(handle, { graceMs: 10_000 });
    assert.deepEqual(await warm.sandbox.cgroup.pids(), []);
    const mounts = await readFile('/proc/self/mountinfo', 'utf8');
    assert.ok(!mounts.includes(own), 'the tenant dir is unmounted from the torn-down sandbox');
    assert.ok(!runtime.prebuiltSandboxes().includes(warm), 'a used sandbox never goes back to the pool');
  });

  it('a process of the tenant going over its memory limit ends the tenant: lost with reason out-of-memory', async () => {
    const spec = standInSpec('sbx-oom', 1);
    const handle = await runtime.launch(spec, {});
    const cgroup = runtime.sandboxOf('sbx-oom')!.cgroup.dir('memory');
    // Something in the tenant allocating without end (a tool, a leak): joins the tenant's memory cgroup first.
    const hog = spawn('sh', [
      '-c',
      `echo $$ > ${cgroup}/cgroup.procs && exec node -e "const a=[];for(;;)a.push(Buffer.alloc(16<<20,1))"`,
    ]);
    const lost = await events.waitFor(handle.podId, 30_000);
    hog.kill('SIGKILL');
    assert.equal(lost?.reason, 'out-of-memory');
    await runtime.stop(handle, { graceMs: 5_000 });
  });

  it('a restarted runtime adopts a sandboxed tenant, whose egress works again: its final snapshot goes through it', async () => {
    const spec = standInSpec('sbx-adopt', 1);
    const handle = await runtime.launch(spec, {});
    const pid = runtime.supervisorPid('sbx-adopt');
    // `sbx-a`'s dir is still there: its sweep must not take `sbx-adopt`'s processes (a path, not a prefix).
    await runtime.handOver();
    runtime = sandboxedRuntime();
    assert.deepEqual(await runtime.adoptRunning(), [handle.podId]);
    assert.equal(runtime.supervisorPid('sbx-adopt'), pid, 'the same sandbox, not a relaunch');
    const manifest = await runtime.stop(handle, { graceMs: 10_000 });
    assert.ok(manifest, 'the drain saved a snapshot through the re-opened snapshot-store egress');
    assert.equal(manifest.seq, (await newestSnapshot(grants.store, 'sbx-adopt'))?.seq);
  });

  it('the end of the stack (releaseTenants) drains a sandboxed tenant at once, though its heartbeat file is bound', async () => {
    const handle = await runtime.launch(standInSpec('sbx-release', 1), {});
    await runtime.handOver(); // a worker that stopped; the stack then ends for good
    const started = Date.now();
    await releaseTenants(dataDir, 30_000);
    assert.ok(
      Date.now() - started < 15_000,
      `released in ${Date.now() - started} ms, not after the 60 s window`,
    );
    const newest = await newestSnapshot(grants.store, 'sbx-release');
    assert.ok(newest, `${handle.podId} drained with a final snapshot, not killed`);
    assert.deepEqual(await mountsUnder(dataDir), [], 'no disk or sandbox mount outlives the stack');
    // The next runtime mounts the disk again and finds the drained pod's record on it; the workflow's stop of
    // it (a salvage) ends with its disk unmounted.
    runtime = sandboxedRuntime();
    assert.deepEqual(await runtime.adoptRunning(), []);
    await runtime.stop(handle, { graceMs: 5_000 });
    assert.ok(!(await isMountPoint(join(dataDir, 'tenants', 'sbx-release'))));
  });

  it('refuses a launch whose egress is in a refused range nobody listed, with the line that says so', async () => {
    modelUrl = 'http://10.20.30.40:8080/v1';
    try {
      await assert.rejects(
        runtime.launch(standInSpec('sbx-refused', 1), {}),
        /sandbox egress to 10\.20\.30\.40:8080 .* refused/,
      );
    } finally {
      modelUrl = 'http://127.0.0.1:1/v1';
    }
  });
});
