/**
 * The local sandbox's boundaries, proven from inside a sandboxed process:
 * a probe (probe.ts) started through the same SlotSandboxes path a tenant's
 * supervisor takes reports what it can read, reach and start; neighbours
 * stand in for what a tenant must not reach (a "Redis" on loopback, another
 * tenant's supervisor address, the data dir's keys). Needs root, bubblewrap
 * and cgroup v1 (this machine kind); a missing primitive fails the preflight
 * case with the line that names it.
 */
import { strict as assert } from 'node:assert';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { randomInt } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PodSpec } from '../../../activities/ports.js';
import { PACKAGE_ROOT } from '../../../common/entry-points.js';
import type { LaunchPlan } from '../../../runtime/launch-plan.js';
import { SlotSandboxes } from '../../../local/sandbox/slot-sandboxes.js';
import { TIER_LIMITS } from '../../../local/sandbox/limits.js';
import type { TenantSandbox } from '../../../local/sandbox/tenant-sandbox.js';
import { checkSandboxPrimitives } from '../../../local/sandbox/preflight.js';
import { reserveBytesFor, setReserved } from '../../../local/sandbox/disk-reserve.js';
import { TenantDisks } from '../../../local/sandbox/tenant-disks.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const DISK_BYTES = 32 * MiB;
const UID_BASE = 310_000 + 300 * randomInt(0, 100);
const listen = (server: Server | HttpServer, host: string) =>
  new Promise<number>((resolve) =>
    server.listen(0, host, () => resolve((server.address() as { port: number }).port)),
  );

describe('local sandbox boundaries (from inside a sandboxed process)', function () {
  this.timeout(60_000);
  let dataDir: string;
  let rootDir: string;
  let redis: Server;
  let neighbour: Server;
  let gateway: HttpServer;
  let redisPort: number;
  let neighbourPort: number;
  let gatewayPort: number;
  let sandbox: TenantSandbox;
  let sandboxes: SlotSandboxes;
  let disks: TenantDisks;
  let child: ChildProcess;
  let endpoint: string;
  const slot = 3;
  const host = `127.0.0.${slot + 2}`;
  const port = 40_000 + randomInt(0, 20_000);

  const probe = async (name: string, arg = '') => {
    const response = await fetch(`${endpoint}/probe/${name}/${encodeURIComponent(arg)}`);
    assert.equal(response.status, 200);
    return response.json() as Promise<Record<string, unknown>>;
  };

  before(async function () {
    await checkSandboxPrimitives(UID_BASE); // the preflight's own line when this host lacks a primitive
    dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-sandbox-'));
    await mkdir(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
    await writeFile(join(dataDir, 'keys', 'master.key'), 'master key', { mode: 0o600 });
    await writeFile(join(dataDir, 'keys', 'admin.token'), 'admin token', { mode: 0o600 });
    await mkdir(join(dataDir, 'tenants', 'other', 'state'), { recursive: true, mode: 0o700 });
    await writeFile(join(dataDir, 'tenants', 'other', 'state', 'openclaw.json'), '{}');
    await writeFile(join(dataDir, 'runtime.heartbeat'), '');
    rootDir = join(dataDir, 'tenants', 'probe');
    disks = new TenantDisks(join(dataDir, 'disks'), join(dataDir, 'tenants'));
    await disks.mount('probe', rootDir, DISK_BYTES); // the tier's disk budget, as the driver mounts it
    await setReserved(rootDir, reserveBytesFor(DISK_BYTES)); // and its reserve held, as from the pod's readiness
    await mkdir(join(rootDir, 'logs'), { recursive: true, mode: 0o700 });
    redis = createServer((s) => s.end('+PONG\r\n'));
    redisPort = await listen(redis, '127.0.0.1');
    neighbour = createServer((s) => s.end('neighbour'));
    neighbourPort = await listen(neighbour, '127.0.0.9');
    gateway = createHttpServer((_req, res) => res.end('model gateway'));
    gatewayPort = await listen(gateway, '127.0.0.1');

    // The probe stands in for the supervisor: the same code paths, read-only like it.
    const source = await readFile(join(import.meta.dirname, 'probe.ts'), 'utf8');
    await writeFile(join(rootDir, 'probe.mts'), source.replaceAll("'../../../", `'${PACKAGE_ROOT}/`));
    sandboxes = new SlotSandboxes(
      {
        uidBase: UID_BASE,
        egressAllow: [`127.0.0.1:${gatewayPort}`],
        limits: {
          ...TIER_LIMITS,
          pro: { ...TIER_LIMITS.pro, memoryMaxBytes: 160 * MiB, memoryHighBytes: 128 * MiB, pidsMax: 64 },
        },
      },
      dataDir,
      { heartbeat: { file: join(dataDir, 'runtime.heartbeat'), windowMs: 60_000 } },
    );
    const pod: PodSpec = {
      tenantId: 'probe',
      podId: 'probe-1',
      tier: 'pro',
      openclawVersion: 'none',
      snapshotSeq: null,
      secretRef: 'probe',
    };
    const plan = {
      spec: {
        listen: { host, port },
        openclaw: {
          node: process.execPath,
          entry: join(PACKAGE_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
        },
        provider: { baseUrl: `http://127.0.0.1:${gatewayPort}/v1` },
      },
      secrets: {},
    } as unknown as LaunchPlan;
    const template = await sandboxes.template(plan, join(dataDir, 'runtime.heartbeat'));
    const built = await sandboxes.build(slot, pod, plan, rootDir, template);
    sandbox = built.sandbox;
    const { file, args } = built.start.wrap([
      process.execPath,
      '--import',
      'tsx',
      join(rootDir, 'probe.mts'),
    ]);
    const log = openSync(join(rootDir, 'logs', 'probe.log'), 'a');
    child = spawn(file, args, {
      cwd: PACKAGE_ROOT,
      env: { PATH: process.env['PATH'], CLAWFLEET_POD_ROOT: rootDir, ...built.start.env },
      stdio: ['ignore', log, log, built.start.listenFd],
      detached: true,
    });
    closeSync(log);
    built.start.spawned();
    endpoint = `http://${host}:${port}`;
    for (const deadline = Date.now() + 20_000; ;) {
      const up = await fetch(`${endpoint}/probe/id/`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      if (Date.now() > deadline || child.exitCode !== null)
        assert.fail(`probe never answered: ${await readFile(join(rootDir, 'logs', 'probe.log'), 'utf8')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  after(async () => {
    await sandbox?.close();
    await sandboxes?.egressKeeper.stop();
    await disks?.release(rootDir);
    for (const server of [redis, neighbour, gateway]) server?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('runs as the slot uid and gid, with no new privileges and no capabilities', async () => {
    const id = await probe('id');
    assert.equal(id['uid'], UID_BASE + slot);
    assert.equal(id['gid'], UID_BASE + slot);
    assert.deepEqual(id['groups'], [UID_BASE + slot]);
    assert.equal(id['noNewPrivs'], '1');
    assert.equal(id['capEff'], '0000000000000000');
    assert.equal(id['capBnd'], '0000000000000000');
    assert.equal(id['seccomp'], '2', 'a seccomp filter is loaded');
  });

  it('the seccomp filter refuses a user namespace (EPERM) that the kernel would give any uid here', async () => {
    const refused = await probe('run', 'unshare -U true');
    assert.equal(refused['code'], 1, JSON.stringify(refused));
    assert.match(refused['stderr'] as string, /Operation not permitted/);
    // The same call outside the filter, as another plain uid, succeeds: the refusal is the filter's.
    const outside = await run('setpriv', [
      '--reuid=399999',
      '--regid=399999',
      '--clear-groups',
      'unshare',
      '-U',
      'true',
    ]);
    assert.equal(outside.stderr, '');
    assert.equal((await probe('run', '/usr/bin/true'))['code'], 0, 'other syscalls pass');
  });

  it('sees its own dir read-write and nothing of the data dir, other tenants, /root or the repo', async () => {
    assert.equal((await probe('write', join(rootDir, 'state.txt')))['ok'], true);
    for (const path of [
      join(dataDir, 'keys', 'master.key'),
      join(dataDir, 'keys', 'admin.token'),
      join(dataDir, 'tenants', 'other', 'state', 'openclaw.json'),
      '/root/.bashrc',
      join(PACKAGE_ROOT, '.git', 'HEAD'),
    ])
      assert.deepEqual(await probe('read', path), { ok: false, code: 'ENOENT' }, path);
    assert.deepEqual(await probe('list', join(dataDir, 'tenants')), { ok: true, value: ['probe'] });
    assert.equal((await probe('write', join(PACKAGE_ROOT, 'supervisor', 'main.ts')))['code'], 'EROFS');
    assert.equal((await probe('write', '/usr/bin/evil'))['code'], 'EROFS');
    // /tmp is its own: what it writes there is not the host's.
    assert.equal((await probe('write', '/tmp/sandbox-was-here'))['ok'], true);
    await assert.rejects(readFile('/tmp/sandbox-was-here'));
  });

  it('has its own /proc: no host process, no other environment', async () => {
    const pids = (await probe('pids')) as unknown as string[];
    assert.ok(pids.length < 10, `sees ${pids.length} processes`);
    assert.ok(!pids.includes(String(process.pid)) || process.pid < 10);
    assert.equal((await probe('environ', '1'))['ok'], false); // bwrap's init runs as another user inside
  });

  it('reaches only its egress: no loopback service, no neighbour, no metadata address', async () => {
    assert.deepEqual(await probe('fetch', `http://127.0.0.1:${gatewayPort}/v1`), {
      ok: true,
      status: 200,
      body: 'model gateway',
    });
    assert.deepEqual(await probe('tcp', `127.0.0.1:${redisPort}`), { ok: false, code: 'ECONNREFUSED' });
    assert.deepEqual(await probe('tcp', `127.0.0.9:${neighbourPort}`), { ok: false, code: 'ECONNREFUSED' });
    assert.deepEqual(await probe('tcp', '169.254.169.254:80'), { ok: false, code: 'ENETUNREACH' });
    assert.deepEqual(await probe('tcp', '1.1.1.1:443'), { ok: false, code: 'ENETUNREACH' });
  });

  it('stops a fork bomb at the pids limit', async () => {
    const bomb = await probe('forkBomb');
    assert.equal(bomb['refused'], 'EAGAIN');
    assert.ok((bomb['started'] as number) < 64, `started ${String(bomb['started'])}`);
  });

  it('filling its dir stops at its disk budget with ENOSPC; the host filesystem is untouched', async () => {
    const filled = await probe('fill', join(rootDir, 'fill.bin'));
    assert.equal(filled['code'], 'ENOSPC', JSON.stringify(filled));
    assert.ok((filled['writtenMb'] as number) < DISK_BYTES / MiB, JSON.stringify(filled));
    // Its dir is the only disk it can write (its /tmp is memory, counted against its memory limit).
    assert.equal((await probe('write', join(dataDir, 'outside.txt')))['code'], 'EACCES');
    await writeFile(join(dataDir, 'host-still-writes.txt'), 'x'); // the host's own filesystem has room
    assert.equal((await probe('write', join(rootDir, 'after-fill.txt')))['ok'], true, 'freed again');
  });

  it('kills only inside the sandbox when memory goes past the limit, and counts it', async () => {
    const ended = await probe('allocate');
    assert.equal(ended['signal'], 'SIGKILL', JSON.stringify(ended));
    assert.ok((await sandbox.cgroup.oomKills()) >= 1, 'the kernel counted an OOM kill in the tenant group');
    for (const server of [redis, neighbour, gateway])
      assert.ok(server.listening, 'host processes are untouched');
  });
});
