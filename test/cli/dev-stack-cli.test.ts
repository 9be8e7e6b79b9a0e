/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- assertions read parsed JSON output */
/**
 * The README's "Try it" walk-through as a test: the embedded stack exactly as
 * `clawfleet dev --offline` starts it (worker and router as child processes,
 * fake LLM and fake Telegram), driven by the real `clawfleet` CLI and a chat
 * request through the public router to a real OpenClaw tenant.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, withOverrides } from '../../common/config.js';
import { startStack, type Stack, ANY_PORTS } from '../../dev/stack.js';

const MAIN = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
describe('clawfleet CLI and chat API against the embedded stack (dev --offline)', function () {
  this.timeout(600_000);
  let dataDir: string;
  let stack: Stack;

  const cli = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const { config } = stack;
      const child = spawn(TSX, [MAIN, '-o', 'json', ...args], {
        env: {
          PATH: process.env['PATH'],
          HOME: dataDir,
          CLAWFLEET_DATA_DIR: stack.dataDir,
          CLAWFLEET_ADMIN_URL: `http://${config.router.host}:${config.admin.port}`,
          CLAWFLEET_CONFIG: join(dataDir, 'no-config.json'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  const json = async (args: string[]) => {
    const run = await cli(args);
    assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
    return JSON.parse(run.stdout);
  };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-dev-cli-'));
    stack = await startStack({
      config: withOverrides(loadConfig({}), {
        common: { dataDir: join(dataDir, 'stack') },
        local: { portBase: 23000 },
      }),
      ports: ANY_PORTS,
      offline: true,
    });
  });

  after(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('create → list → chat (cold wake, then hot) → worker SIGKILL with two awake tenants → sleep → suspend → get → delete --dry-run', async () => {
    const created = await json(['tenant', 'create', 'tryit']);
    const apiKey: string = created.apiKey.apiKey;
    const second: string = (await json(['tenant', 'create', 'tryit2'])).apiKey.apiKey;
    assert.ok((await json(['tenant', 'list'])).some((t: { tenantId: string }) => t.tenantId === 'tryit'));

    const { config } = stack;
    const routerUrl = `http://${config.router.host}:${config.router.port}`;
    const chatWith = (tenantId: string, key: string) =>
      fetch(`${routerUrl}/v1/tenants/${tenantId}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'openclaw/default',
          messages: [{ role: 'user', content: 'hello there' }],
        }),
      });
    const chat = () => chatWith('tryit', apiKey);
    // The first request wakes the tenant; the router answers 503 + Retry-After while a wake takes longer than 25 s.
    const wake = async (tenantId: string, key: string) => {
      let response = await chatWith(tenantId, key);
      for (let tries = 0; response.status === 503 && tries < 12; tries++) {
        assert.ok(response.headers.get('retry-after'), 'a 503 says when to retry');
        await new Promise((r) => setTimeout(r, 5_000));
        response = await chatWith(tenantId, key);
      }
      return response;
    };
    const [response, secondResponse] = await Promise.all([wake('tryit', apiKey), wake('tryit2', second)]);
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(secondResponse.status, 200, await secondResponse.clone().text());
    const answer = (await response.json()) as { choices: { message: { content: string } }[] };
    assert.match(answer.choices[0]!.message.content, /echo: hello there/);
    assert.equal((await chat()).status, 200, 'the hot path answers too');

    const awake = await json(['tenant', 'get', 'tryit']);
    assert.equal(awake.phase, 'running');
    const awakeSecond = await json(['tenant', 'get', 'tryit2']);
    assert.equal(awakeSecond.phase, 'running');

    // A worker killed with SIGKILL costs the awake tenants nothing: their supervisors keep serving the hot path,
    // and the worker the stack starts again adopts them (same processes, same pods) instead of relaunching them.
    const pidOf = async (tenantId: string) =>
      (
        JSON.parse(await readFile(join(stack.dataDir, 'tenants', tenantId, 'pod.json'), 'utf8')) as {
          pid: number;
        }
      ).pid;
    const supervisorPids = [await pidOf('tryit'), await pidOf('tryit2')];
    const worker = await stackProcess(stack, 'worker/main');
    process.kill(worker, 'SIGKILL');
    assert.equal((await chat()).status, 200, 'answered while the worker is down');
    const workerLog = join(stack.dataDir, 'logs', 'worker.log');
    const adoptions = async () =>
      (await readFile(workerLog, 'utf8')).split('tenant process adopted').length - 1;
    for (let i = 0; i < 120 && (await adoptions()) < 2; i++) await new Promise((r) => setTimeout(r, 1_000));
    const supervisorLog = join(stack.dataDir, 'tenants', 'tryit', 'logs', 'supervisor.log');
    assert.equal(
      await adoptions(),
      2,
      `both adopted; supervisor log:\n${(await readFile(supervisorLog, 'utf8').catch(() => '')).slice(-3000)}`,
    );
    for (const pid of supervisorPids) process.kill(pid, 0); // throws if a supervisor is gone
    for (const [tenantId, before] of [
      ['tryit', awake],
      ['tryit2', awakeSecond],
    ] as const) {
      let adopted = await json(['tenant', 'get', tenantId]);
      for (let i = 0; i < 30 && !adopted.live; i++) adopted = await json(['tenant', 'get', tenantId]); // worker polling again
      assert.equal(adopted.phase, 'running');
      assert.ok(before.live?.pod?.podId, JSON.stringify(before.live));
      assert.equal(adopted.live?.pod?.podId, before.live.pod.podId, `${tenantId}: the same pod, no relaunch`);
    }
    // The next messages take the hot path: the router counts them as hot deliveries, none as cold.
    const deliveries = async (path: 'hot' | 'cold') => {
      const text = await (await fetch(`${routerUrl}/metrics`)).text();
      const line = text
        .split('\n')
        .find((l) => l.startsWith(`clawfleet_router_deliveries_total{route="chat",path="${path}"}`));
      return Number(line?.split(' ').at(-1) ?? 0);
    };
    const [hot, cold] = [await deliveries('hot'), await deliveries('cold')];
    const after = await chat();
    assert.equal(after.status, 200, `the hot path after the restart: ${await after.clone().text()}`);
    assert.equal((await chatWith('tryit2', second)).status, 200);
    assert.deepEqual(
      [await deliveries('hot'), await deliveries('cold')],
      [hot + 2, cold],
      'both took the hot path',
    );
    await json(['tenant', 'sleep', 'tryit2']);
    await json(['tenant', 'sleep', 'tryit']);
    for (let i = 0; i < 120 && (await json(['tenant', 'get', 'tryit'])).phase !== 'asleep'; i++)
      await new Promise((r) => setTimeout(r, 1_000));
    const snapshots = await json(['snapshot', 'list', 'tryit']);
    assert.ok(JSON.stringify(snapshots).includes('"seq"'), 'the final snapshot is listed');

    await json(['tenant', 'suspend', 'tryit', '--reason', 'unpaid invoice']);
    const detail = await json(['tenant', 'get', 'tryit']);
    assert.equal(detail.phase, 'suspended');
    const plan = await json(['tenant', 'delete', 'tryit', '--dry-run']);
    assert.equal(plan.dryRun, true);
    assert.equal(plan.registryRecord, true);
  });
});

/** The pid of the stack's process whose command line mentions `marker`. */
async function stackProcess(stack: Stack, marker: string): Promise<number> {
  for (const pid of stack.pids()) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(marker)) return pid;
  }
  return assert.fail(`no process of the stack runs ${marker}`);
}
