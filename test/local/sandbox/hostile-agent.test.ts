/**
 * A hostile agent, with real OpenClaw in the local sandbox: the fake model
 * answers a `pro` tenant's messages with tool calls (exec, read, write) that
 * try to reach what the sandbox hides, and each tool result OpenClaw hands
 * back to the model must show the failure. One shared fleet with three
 * tenants, one per tier: their first requests show which tools each tier is
 * offered; the `free` one is the neighbour that must keep answering between
 * attacks. The destructive attempts (process flood, memory) come last.
 */
import { strict as assert } from 'node:assert';
import type { Connection } from '@temporalio/client';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, statfs, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { adminTokenPath, masterKeyPath } from '../../../common/config.js';
import {
  echoReply,
  lastUserText,
  offeredTools,
  toolResults,
  type ReplyScript,
  type ToolResult,
} from '../../../fakes/fake-llm.js';
import { telegramUpdate } from '../../../fakes/fake-telegram.js';
import { reserveBytesFor } from '../../../local/sandbox/disk-reserve.js';
import { TIER_LIMITS } from '../../../local/sandbox/limits.js';
import { readSandboxView } from '../../../local/sandbox/sandbox-view.js';
import type { TenantTier } from '../../../workflows/types.js';
import { eventually } from '../../supervisor/supervisor-process.js';
import { startFleet, type Fleet } from '../fleet.js';
import { ATTACKS, FREE_DISK, type Targets } from './hostile-attacks.js';

const HOSTILE = 'hostile-pro';
const NEIGHBOUR = 'neighbour-free';
const STANDARD = 'plain-standard';
const TIERS: Record<string, TenantTier> = { [HOSTILE]: 'pro', [NEIGHBOUR]: 'free', [STANDARD]: 'standard' };
const MiB = 1024 ** 2;
/** The hostile tenant's disk budget in this suite (CLAWFLEET_LOCAL_SANDBOX_DISK); `pro`'s default is 5 GiB. */
const DISK_BYTES = 64 * MiB;

describe('a hostile pro agent in the local sandbox (real OpenClaw tool calls)', function () {
  this.timeout(240_000);

  let fleet: Fleet;
  let targets: Targets;
  let adminStandIn: Server;
  const bots = new Map<string, string>();
  let nextUpdateId = 9000;
  /** The tool results of each attack's turn, as the model saw them. */
  const seen = new Map<string, ToolResult[]>();
  const firstRequestTools = new Map<string, string[]>();
  let outsideBefore: Map<string, string>;

  const send = async (tenantId: string, text: string) => {
    const updateId = nextUpdateId++;
    await fleet.tenants.deliver(
      tenantId,
      {
        channel: 'telegram',
        dedupeId: String(updateId),
        receivedAt: new Date().toISOString(),
        body: JSON.stringify(telegramUpdate({ updateId, text })),
      },
      { idleTimeout: '10m' },
    );
  };
  const replyTo = (tenantId: string, marker: string, timeoutMs = 120_000) =>
    fleet.telegram.waitFor(
      (c) =>
        c.token === bots.get(tenantId) &&
        c.method === 'sendMessage' &&
        String(c.params['text']).includes(marker),
      timeoutMs,
    );

  /** The hostile tenant's turn for `attack`: its tool calls, then a text naming the results. */
  const script: ReplyScript = (messages, request) => {
    const text = lastUserText(messages);
    const tenant = Object.keys(TIERS).find((id) => text.startsWith(`${id}:`));
    if (tenant && !firstRequestTools.has(tenant)) firstRequestTools.set(tenant, offeredTools(request));
    const attack = [...ATTACKS, FREE_DISK].find((a) => text === `${tenant}: ${a.name}`);
    if (!attack) return echoReply(messages, request);
    const results = toolResults(messages);
    if (results.length === 0) return { toolCalls: attack.calls(targets) };
    seen.set(`${tenant}: ${attack.name}`, results);
    return `done ${attack.name}: ${results.map((r) => r.text).join(' | ')}`;
  };

  /**
   * Every file under the data dir outside the tenants' dirs (keys, runtime state), by content hash. The
   * runtime's own per-slot sandbox files (`sandboxes/`) are left out: it rewrites them when a tenant relaunches;
   * so are the tenants' disk images (`disks/`): each is a tenant's own dir, mounted while it is awake; and the
   * warm pool's log, which the runtime's pre-built sandboxes append to when the pool refills, and the egress
   * keeper's, which logs each refused connection of the attacks.
   */
  const LOGS = ['warm-supervisors.log', 'egress-keeper.log'];
  const outsideTenants = async () => {
    const hashes = new Map<string, string>();
    const walk = async (dir: string) => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (['tenants', 'sandboxes', 'disks'].some((own) => path === join(targets.dataDir, own))) continue;
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile() && !entry.name.endsWith('heartbeat') && !LOGS.includes(entry.name))
          hashes.set(
            relative(targets.dataDir, path),
            createHash('sha256')
              .update(await readFile(path))
              .digest('hex'),
          );
      }
    };
    await walk(targets.dataDir);
    return hashes;
  };

  const greet = async (tenantId: string) => {
    await send(tenantId, `${tenantId}: hello`);
    await replyTo(tenantId, `${tenantId}: hello`, 300_000);
  };

  let neighbourPings = 0;
  const neighbourAnswers = async () => {
    const text = `${NEIGHBOUR}: still there ${++neighbourPings}`;
    await send(NEIGHBOUR, text);
    // OpenClaw may still be closing the previous turn and then wraps the message as "queued": the echo holds it.
    await replyTo(NEIGHBOUR, text).catch((error: unknown) => {
      const said = fleet.telegram.callsFor(bots.get(NEIGHBOUR)!, 'sendMessage').map((c) => c.params['text']);
      throw new Error(`${(error as Error).message}; the neighbour said ${JSON.stringify(said.slice(-3))}`);
    });
  };

  /**
   * Its disk full of the agent's file: OpenClaw still has room for its own state (the disk's reserve, released
   * by the runtime), so the tenant answers, and operators see why; once the agent deletes the file, the reserve
   * is held again and the reason goes.
   */
  const keepsAnsweringOnAFullDisk = async () => {
    const text = `${HOSTILE}: still answering on a full disk`;
    await send(HOSTILE, text);
    await replyTo(HOSTILE, text);
    const { reason } = await fleet.tenants.describe(HOSTILE);
    console.log(`    [hostile] reason while full: ${reason}`);
    assert.match(reason ?? '', /^disk full/, `describe's reason: ${reason}`);
    await send(HOSTILE, `${HOSTILE}: ${FREE_DISK.name}`);
    await replyTo(HOSTILE, `done ${FREE_DISK.name}`);
    FREE_DISK.check(seen.get(`${HOSTILE}: ${FREE_DISK.name}`)!, targets);
    await eventually(
      async () => !(await fleet.tenants.describe(HOSTILE)).reason?.startsWith('disk full') || undefined,
      30_000,
      'the disk-full reason cleared once the file is gone',
    );
  };

  before(async function () {
    this.timeout(600_000);
    // A small `pro` disk budget (an operator setting, applied at launch), so the suite can fill it.
    fleet = await startFleet({
      capacity: 3,
      settings: { local: { sandboxDisk: `pro=${DISK_BYTES / MiB}MiB` } },
    });
    fleet.llm.setReply(script);
    for (const [tenantId, tier] of Object.entries(TIERS)) {
      bots.set(tenantId, (await fleet.registerTenant(tenantId, tier)).botToken);
      // Every turn resends the whole conversation and its tool schemas: the suite's few dozen turns would use up
      // the free tier's daily token cap (which holds, reserved per request) before the last attack.
      const record = await fleet.registry.get(tenantId);
      await fleet.registry.update(tenantId, { quotas: { tokensPerDay: 50_000_000 } }, record!.version);
      // The workflow holds the tier a launch uses (the admin API starts it the same way).
      await fleet.tenants.ensureStarted(tenantId, { tier, idleTimeout: '10m' });
    }
    const dataDir = dirname(dirname(fleet.tenantDir(HOSTILE)));
    // The fleet starts no admin API: a listener on loopback stands in for it (what matters is the route to it).
    adminStandIn = createServer((s) => s.end('admin'));
    await new Promise<void>((resolve) => adminStandIn.listen(0, '127.0.0.1', resolve));
    if (!existsSync(adminTokenPath(fleet.config))) {
      await mkdir(dirname(adminTokenPath(fleet.config)), { recursive: true, mode: 0o700 });
      await writeFile(adminTokenPath(fleet.config), 'admin-token-canary\n', { mode: 0o600 });
    }
    const s3 = new URL(fleet.s3.endpoint);
    const dynamo = new URL(fleet.dynamo.endpoint);
    const redis = new URL(fleet.redis.url);
    const temporal = (fleet.client.connection as Connection).options.address;
    targets = {
      dataDir,
      masterKey: masterKeyPath(fleet.config),
      adminToken: adminTokenPath(fleet.config),
      neighbourState: join(fleet.tenantDir(NEIGHBOUR), 'state'),
      neighbourBotToken: bots.get(NEIGHBOUR)!,
      snapshotStore: { address: `${s3.hostname}:${s3.port}`, bucket: fleet.s3.bucket },
      platformModelKey: fleet.platformModelKey,
      diskBytes: DISK_BYTES,
      endpoints: {
        redis: `${redis.hostname}:${redis.port}`,
        temporal,
        dynamodb: `${dynamo.hostname}:${dynamo.port}`,
        'admin API': `127.0.0.1:${(adminStandIn.address() as { port: number }).port}`,
        'metadata service': '169.254.169.254:80',
      },
    };
    // The first message wakes the tenant: its first model request shows the tools its tier is offered.
    // The hostile and the neighbour wake together; the standard one alone, later (three cold OpenClaw
    // starts at once on two shared cores time out).
    await Promise.all([HOSTILE, NEIGHBOUR].map((tenantId) => greet(tenantId)));
    // The neighbour's supervisor, as the hostile tenant would have to reach it (its host address).
    const spec = JSON.parse(await readFile(join(fleet.tenantDir(NEIGHBOUR), 'spec.json'), 'utf8')) as {
      listen: { host: string; port: number };
    };
    (targets.endpoints as Record<string, string>)['neighbour supervisor'] =
      `${spec.listen.host}:${spec.listen.port}`;
    outsideBefore = await outsideTenants();
  });

  after(async () => {
    adminStandIn?.close();
    await fleet?.stop();
  });

  it('each tier is offered its tools and no control-plane tool', async function () {
    this.timeout(360_000);
    await greet(STANDARD);
    await fleet.tenants.sleep(STANDARD); // done with it: its CPU and memory go back to the others
    const offered = (tenantId: string) => firstRequestTools.get(tenantId) ?? [];
    console.log(`    [hostile] offered: ${JSON.stringify(Object.fromEntries(firstRequestTools))}`);
    for (const tenantId of Object.keys(TIERS)) {
      const tools = offered(tenantId);
      assert.ok(tools.includes('message'), `${tenantId}: ${tools.join(', ')}`);
      // `cron` is in every tier's config (test/worker/launch-planner.test.ts), but OpenClaw offers it only to
      // the gateway's owner (`commands.ownerAllowFrom`), which a Telegram sender is not yet: reminders' work.
      for (const never of ['gateway', 'plugins', 'openclaw', 'nodes', 'browser', 'canvas', 'code_execution'])
        assert.ok(!tools.includes(never), `${tenantId} is offered ${never}`);
    }
    const runtimeAndFs = ['exec', 'process', 'read', 'write', 'edit'];
    for (const tool of runtimeAndFs) {
      assert.ok(offered(HOSTILE).includes(tool), `pro lacks ${tool}`);
      assert.ok(!offered(STANDARD).includes(tool) && !offered(NEIGHBOUR).includes(tool), `${tool} below pro`);
    }
    for (const tool of ['memory_search', 'memory_get', 'web_fetch']) {
      assert.ok(
        offered(STANDARD).includes(tool) && offered(HOSTILE).includes(tool),
        `${tool} from standard up`,
      );
      assert.ok(!offered(NEIGHBOUR).includes(tool), `free is offered ${tool}`);
    }
  });

  it('the operators’ view of its sandbox (admin API, `tenant get`): its slot uid, the configured limits, its memory now', async () => {
    // The same reader the admin API's tenant view uses, on the facts the runtime wrote at launch.
    const view = await readSandboxView(targets.dataDir, HOSTILE, 'on');
    assert.ok(view.uid !== null && view.uid >= fleet.config.local.sandboxUidBase, `uid ${view.uid}`);
    assert.deepEqual(view.limits, { ...TIER_LIMITS.pro, diskBytes: DISK_BYTES });
    assert.ok(view.memoryBytes !== null && view.memoryBytes > 100 * MiB, `memory now ${view.memoryBytes}`);
    assert.ok(view.memoryBytes < view.limits.memoryMaxBytes);
    // And the launch applied the budget: the tenant's dir is a filesystem of the budget plus OpenClaw's reserve,
    // which is held (root's reserved blocks), so the tenant's own files get no more than the budget.
    const fs = await statfs(fleet.tenantDir(HOSTILE));
    const [size, kept] = [fs.blocks * fs.bsize, (fs.bfree - fs.bavail) * fs.bsize];
    const reserve = reserveBytesFor(DISK_BYTES); // 32 MiB: half this small budget
    const image = DISK_BYTES + reserve;
    assert.ok(size > image * 0.8 && size <= image, `its dir is ${size} bytes`);
    assert.ok(kept >= reserve, `its reserve is held: ${kept} bytes kept back`);
  });

  it('a legitimate pro exec runs in its workspace as the sandbox uid, and its output reaches the reply', async () => {
    await send(HOSTILE, `${HOSTILE}: legit exec`);
    const reply = await replyTo(HOSTILE, 'done legit exec');
    const text = String(reply.params['text']);
    const uid = Number(/uid=(\d+)/.exec(text)?.[1]);
    assert.match(text, /note: hi/, text);
    assert.ok(uid >= fleet.config.local.sandboxUidBase, `runs as the slot uid, not ${uid}: ${text}`);
    const note = join(fleet.tenantDir(HOSTILE), 'state', 'workspace', 'note.txt');
    assert.equal(await readFile(note, 'utf8'), 'hi\n');
    assert.equal((await stat(note)).uid, uid, 'the file is the tenant’s own');
  });

  it('the same exec from a free tenant is refused by OpenClaw: the tool does not exist there', async () => {
    await send(NEIGHBOUR, `${NEIGHBOUR}: legit exec`);
    await replyTo(NEIGHBOUR, 'done legit exec');
    const results = seen.get(`${NEIGHBOUR}: legit exec`)!;
    assert.match(results.map((r) => r.text).join(' '), /Tool exec not found/);
    assert.ok(!existsSync(join(fleet.tenantDir(NEIGHBOUR), 'state', 'workspace', 'note.txt')));
  });

  for (const attack of ATTACKS.filter((a) => a.name !== 'legit exec')) {
    it(`${attack.name}: fails, and the tool result shows why`, async function () {
      await send(HOSTILE, `${HOSTILE}: ${attack.name}`);
      if (attack.endsTenant) {
        // Over the memory limit the kernel kills inside the tenant only, and the workflow hears podLost.
        const lost = await eventually(
          async () => {
            const d = await fleet.tenants.describe(HOSTILE);
            return d.reason?.includes('out-of-memory') ? d : undefined;
          },
          120_000,
          'the hostile tenant lost with reason out-of-memory',
        );
        console.log(`    [hostile] ${attack.name}: phase ${lost.phase}, reason ${lost.reason}`);
      } else {
        await replyTo(HOSTILE, `done ${attack.name}`);
        const results = seen.get(`${HOSTILE}: ${attack.name}`)!;
        console.log(
          `    [hostile] ${attack.name}: ${results
            .map((r) => `${r.name}: ${r.text}`)
            .join(' | ')
            .slice(0, 600)}`,
        );
        attack.check(results, targets);
        if (attack.leavesDiskFull) await keepsAnsweringOnAFullDisk();
      }
      await neighbourAnswers();
    });
  }

  it('nothing outside the tenants’ dirs changed, and nothing the attacks wrote landed outside the hostile tenant', async () => {
    const after = await outsideTenants();
    assert.deepEqual([...after.entries()].sort(), [...outsideBefore.entries()].sort());
    for (const path of [join(targets.neighbourState, 'pwned'), join(targets.dataDir, 'keys', 'pwned')])
      assert.ok(!existsSync(path), path);
    await neighbourAnswers();
  });
});
