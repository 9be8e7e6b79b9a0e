/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call -- assertions read parsed JSON output */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TIER_LIMITS } from '../../local/sandbox/limits.js';
import { writeSandboxFacts } from '../../local/sandbox/sandbox-view.js';
import { startAdminHarness, uniqueTenantId, type AdminHarness } from '../admin/harness.js';

const MAIN = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe('clawfleet CLI against a live admin API', function () {
  this.timeout(120_000);
  let h: AdminHarness;
  let env: NodeJS.ProcessEnv;

  /** Runs the real CLI entry point in a child process, as an operator would. */
  const cli = (args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}) =>
    new Promise<Run>((resolve, reject) => {
      const child = spawn(TSX, [MAIN, ...args], {
        env: { ...env, ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(options.stdin ?? '');
    });
  const json = async (args: string[], options?: Parameters<typeof cli>[1]) => {
    const run = await cli(['-o', 'json', ...args], options);
    assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
    return JSON.parse(run.stdout);
  };

  before(async () => {
    h = await startAdminHarness();
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = h.app.server.address() as AddressInfo;
    // The token comes from the data dir's token file, as on the embedded stack.
    await writeFile(join(h.dataDir, 'keys', 'admin.token'), `${h.platform}\n`, { mode: 0o600 });
    env = {
      PATH: process.env['PATH'],
      HOME: h.dataDir,
      CLAWFLEET_DATA_DIR: h.dataDir,
      CLAWFLEET_ADMIN_URL: `http://127.0.0.1:${port}`,
      CLAWFLEET_CONFIG: join(h.dataDir, 'no-config.json'),
    };
  });
  after(() => h?.close());

  it('create → list shows it → suspend → get shows suspended → delete --dry-run lists items; JSON output throughout', async () => {
    const tenantId = uniqueTenantId('cli');
    const created = await json(['tenant', 'create', tenantId, '--tier', 'pro', '--idle-timeout', '20m']);
    assert.equal(created.tenant.tenantId, tenantId);
    assert.equal(created.tenant.idleTimeoutMs, 1_200_000);
    assert.match(created.apiKey.apiKey, /^cfk-/);
    const listed = await json(['tenant', 'list', '--tier', 'pro']);
    assert.ok(listed.some((t: { tenantId: string }) => t.tenantId === tenantId));
    const suspended = await json(['tenant', 'suspend', tenantId, '--reason', 'unpaid invoice']);
    assert.equal(suspended.phase, 'suspended');
    const detail = await json(['tenant', 'get', tenantId]);
    assert.equal(detail.tenant.status, 'suspended');
    assert.equal(detail.phase, 'suspended');
    assert.equal(detail.live.reason, 'unpaid invoice');
    const plan = await json(['tenant', 'delete', tenantId, '--dry-run']);
    assert.equal(plan.dryRun, true);
    assert.ok(plan.secretNames.includes('gateway-token'));
    assert.equal(plan.registryRecord, true);
  });

  it('table output is aligned text for humans', async () => {
    const tenantId = await h.createTenant();
    const run = await cli(['tenant', 'list', '--no-color']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^TENANT\s+NAME\s+TIER\s+STATUS/m);
    assert.ok(run.stdout.includes(tenantId));
    const dry = await cli(['tenant', 'delete', tenantId, '--dry-run']);
    assert.match(dry.stdout, /Dry run: offboarding .* would delete/);
    assert.match(dry.stdout, /secret supervisor-token/);
  });

  it('tenant create --telegram-bot-token-file onboards a bot in one command; tenant get shows the connection', async () => {
    const tenantId = uniqueTenantId('bot');
    const token = '918273:cli-onboarding-token';
    const file = join(h.dataDir, `${tenantId}.token`);
    await writeFile(file, `${token}\n`, { mode: 0o600 });
    const run = await cli(['tenant', 'create', tenantId, '--telegram-bot-token-file', file, '--no-color']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /telegram bot\s+@fake_918273_bot/);
    assert.match(
      run.stdout,
      new RegExp(`webhook\\s+webhook registered with Telegram: ${h.publicUrl}/tg/${tenantId}`),
    );
    assert.ok(!run.stdout.includes('cli-onboarding-token'), 'the token is never printed');
    assert.equal(h.telegram.webhookOf(token)?.url, `${h.publicUrl}/tg/${tenantId}`);
    const shown = await cli(['tenant', 'get', tenantId, '--no-color']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /telegram bot\s+@fake_918273_bot/);
    assert.match(shown.stdout, /webhook\s+registered \(matches\)/);
    assert.match(shown.stdout, /pending updates\s+0/);
    const secret = await h.deps.secrets.resolve(tenantId, 'telegram-webhook-secret');
    assert.ok(!shown.stdout.includes(secret), 'the webhook secret is never shown');
    h.telegram.revoke('918273:revoked-token');
    await writeFile(file, '918273:revoked-token\n');
    const refused = await cli(['tenant', 'create', uniqueTenantId('bot'), '--telegram-bot-token-file', file]);
    assert.equal(refused.code, 2, 'a token Telegram refuses is a validation error');
    assert.match(refused.stderr, /Telegram refused the bot token/);
  });

  it("tenant get shows an awake tenant's sandbox: uid, limits and the memory it uses now", async () => {
    const tenantId = await h.createTenant();
    const asleep = await cli(['tenant', 'get', tenantId, '--no-color']);
    assert.match(asleep.stdout, /sandbox\s+on \(not running now\)/);
    // What the local runtime writes at launch (pod-watch.ts), and a memory cgroup reading 700 MiB.
    const memoryCgroup = await mkdtemp(join(tmpdir(), 'clawfleet-cgroup-'));
    try {
      await writeFile(join(memoryCgroup, 'memory.usage_in_bytes'), `${700 * 2 ** 20}\n`);
      await writeSandboxFacts(h.dataDir, tenantId, { uid: 200_007, limits: TIER_LIMITS.pro, memoryCgroup });
      const shown = await cli(['tenant', 'get', tenantId, '--no-color']);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(
        shown.stdout,
        /sandbox\s+on, uid 200007, memory 700\/3072 MiB, 2 cores, 512 pids, disk 5120 MiB/,
        shown.stdout,
      );
      const detail = await json(['tenant', 'get', tenantId]);
      assert.deepEqual(detail.sandbox, {
        mode: 'on',
        uid: 200_007,
        limits: TIER_LIMITS.pro,
        memoryBytes: 700 * 2 ** 20,
      });
    } finally {
      await rm(memoryCgroup, { recursive: true, force: true });
    }
  });

  it('secret put reads the value from stdin (never argv) and never prints it', async () => {
    const tenantId = await h.createTenant();
    const run = await cli(['secret', 'put', tenantId, 'telegram-bot-token'], {
      stdin: '123456:from-stdin\n',
    });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(!run.stdout.includes('from-stdin') && !run.stderr.includes('from-stdin'));
    assert.match(run.stdout, /bot @fake_123456_bot connected; webhook registered with Telegram/);
    assert.equal(await h.deps.secrets.resolve(tenantId, 'telegram-bot-token'), '123456:from-stdin');
    const names = await json(['secret', 'list', tenantId]);
    assert.ok(names.names.includes('telegram-bot-token'));
    const empty = await cli(['secret', 'put', tenantId, 'model-openai'], { stdin: '' });
    assert.equal(empty.code, 2);
  });

  it('exit codes: 5 not found, 6 conflict, 2 usage/validation, 4 denied, 3 unreachable', async () => {
    const tenantId = await h.createTenant();
    assert.equal((await cli(['tenant', 'get', 'nobody-here'])).code, 5);
    assert.equal((await cli(['tenant', 'create', tenantId])).code, 6);
    assert.equal(
      (await cli(['tenant', 'resume', tenantId])).code,
      6,
      'resume of an asleep tenant is refused',
    );
    assert.equal((await cli(['tenant', 'create', 'Bad_Id'])).code, 2);
    assert.equal((await cli(['tenant', 'delete', tenantId])).code, 2, 'a real offboard needs --yes');
    assert.equal((await cli(['tenant', 'frobnicate'])).code, 2);
    const other = await h.tenantToken(await h.createTenant());
    assert.equal((await cli(['tenant', 'get', tenantId], { env: { CLAWFLEET_ADMIN_TOKEN: other } })).code, 4);
    const down = await cli(['tenant', 'list'], { env: { CLAWFLEET_ADMIN_URL: 'http://127.0.0.1:1' } });
    assert.equal(down.code, 3);
    assert.match(down.stderr, /unreachable/);
  });

  it('usage, snapshot list, logs and status print machine-readable JSON', async () => {
    const tenantId = await h.createTenant();
    await h.deps.registry.recordUsage(tenantId, {
      from: '2026-02-01T00:00:00Z',
      to: '2026-02-01T00:01:00Z',
      activeMs: 60_000,
      messages: 1,
    });
    await h.deps.registry.recordModelUsage(tenantId, {
      requestId: 'cli-req-1',
      at: '2026-02-01T00:00:30Z',
      model: 'openai/gpt-5-mini',
      inputTokens: 400,
      outputTokens: 50,
      cachedTokens: 0,
      costMicros: 200,
      estimated: false,
      keySource: 'platform',
    });
    const usage = await json(['usage', tenantId, '--from', '2026-02-01', '--to', '2026-02-28']);
    assert.equal(usage.total.activeSeconds, 60);
    assert.equal(usage.total.tokens, 450);
    assert.equal(usage.models[0].model, 'openai/gpt-5-mini');
    const fleet = await json(['usage', '--from', '2026-02-01', '--to', '2026-02-28']);
    assert.ok(
      fleet.tenants.some(
        (t: { tenantId: string; costMicros: number }) => t.tenantId === tenantId && t.costMicros === 200,
      ),
    );
    const snapshots = await json(['snapshot', 'list', tenantId]);
    assert.deepEqual(snapshots.snapshots, []);
    const logs = await cli(['-o', 'json', 'logs', tenantId]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout, '');
    const status = await json(['status']);
    assert.equal(typeof status.phases.asleep, 'number');
  });

  it('tenant update --allow-tools/--deny-tools set the tool override from the closed list; --tier-tools drops it', async () => {
    const tenantId = await h.createTenant();
    const set = await json([
      'tenant',
      'update',
      tenantId,
      '--allow-tools',
      'exec,process',
      '--deny-tools',
      'web_fetch',
    ]);
    assert.deepEqual(set.tools, { allow: ['exec', 'process'], deny: ['web_fetch'] });
    assert.ok(set.effectiveTools.includes('exec') && !set.effectiveTools.includes('web_fetch'));
    const refused = await cli(['tenant', 'update', tenantId, '--allow-tools', 'gateway']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /unknown tool gateway/);
    const reset = await json(['tenant', 'update', tenantId, '--tier-tools']);
    assert.deepEqual(reset.tools, {});
  });

  it('tenant update --openclaw-version pins; fleet upgrade skips the pin, status/pause/resume/abort drive the rollout', async () => {
    const [moved, pinned] = [await h.createTenant(), await h.createTenant()];
    const pin = await json(['tenant', 'update', pinned, '--openclaw-version', '2026.9.6']);
    assert.equal(pin.openclawPinned, true);
    const rolloutId = `cli-${uniqueTenantId('r')}`;
    const started = await json([
      'fleet',
      'upgrade',
      '2026.10.2',
      '--tenants',
      `${moved},${pinned}`,
      '--waves',
      '100',
      '--observe',
      '1h',
      '--min-wakes',
      '0',
      '--rollout-id',
      rolloutId,
    ]);
    assert.equal(started.rolloutId, rolloutId);
    let status = await json(['fleet', 'status', rolloutId]);
    for (let i = 0; status.state !== 'observing' && i < 100; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = await json(['fleet', 'status', rolloutId]);
    }
    assert.equal(status.state, 'observing');
    assert.deepEqual(status.pinned, [pinned]);
    assert.equal((await json(['fleet', 'pause', rolloutId, 'freeze'])).reason, 'freeze');
    assert.equal((await json(['fleet', 'resume', rolloutId])).reason, null);
    const table = await cli(['fleet', 'abort', rolloutId, 'done testing']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /state\s+aborted/);
    assert.match(table.stdout, new RegExp(`pinned \\(skipped\\)\\s+1: ${pinned}`));
    const usage = await cli(['fleet', 'upgrade', '2026.10.2']);
    assert.equal(usage.code, 2, 'a selector is required');
    const unpinned = await json(['tenant', 'update', pinned, '--unpin']);
    assert.equal(unpinned.openclawPinned, false);
  });
});
