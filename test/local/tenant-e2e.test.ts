/**
 * End to end with real parts: Temporal dev server, the worker's real adapters
 * and local runtime, a real OpenClaw gateway per tenant, s3rver, dynalite and
 * redis-server; only the LLM and Telegram's Bot API are fakes. The first
 * message comes the way Telegram sends it: the control plane registers the
 * webhook while the tenant sleeps, and "Telegram" posts to the real router
 * with the registered secret. Later ones enter the way the router's cold path
 * sends them (signal-with-start `deliver`).
 */
import { strict as assert } from 'node:assert';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { lastUserText, userTexts } from '../../fakes/fake-llm.js';
import { telegramUpdate } from '../../fakes/fake-telegram.js';
import { sameAllowedUpdates, TELEGRAM_ALLOWED_UPDATES } from '../../telegram/registration.js';
import { tenantWorkflowId } from '../../workflows/shared.js';
import type { TenantPhase } from '../../workflows/types.js';
import { eventually } from '../supervisor/supervisor-process.js';
import { startFleet, type Fleet } from './fleet.js';
import { startFleetRouter, type FleetRouter } from './fleet-router.js';
import { reminderCases } from './reminder-cases.js';

const TENANT = 'e2e-acme';

describe('a tenant end to end: wake, real OpenClaw, idle pause and sleep, restore, crash recovery, reminders', function () {
  // Two cold starts (9–22 s each), two 1-minute idle timeouts, a 20 s pause, a crash and a relaunch.
  this.timeout(600_000);

  let fleet: Fleet;
  let router: FleetRouter;
  let botToken: string;
  let webhookSecret: string;
  let nextUpdateId = 5000;

  async function send(text: string): Promise<number> {
    const updateId = nextUpdateId++;
    await fleet.tenants.deliver(
      TENANT,
      {
        channel: 'telegram',
        dedupeId: String(updateId),
        receivedAt: new Date().toISOString(),
        body: JSON.stringify(telegramUpdate({ updateId, text })),
      },
      { idleTimeout: '1m' },
    );
    return updateId;
  }

  const replies = (text: string) =>
    fleet.telegram
      .callsFor(botToken, 'sendMessage')
      .filter((c) => String(c.params['text']).includes(`echo: ${text}`));

  /** `eventually` with the argument order these tests read best in. */
  const waitFor = <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>) =>
    eventually(probe, timeoutMs, what);

  const phase = async () => (await fleet.tenants.describe(TENANT)).phase;
  const inPhase = (wanted: TenantPhase) => async () => ((await phase()) === wanted ? true : undefined);

  before(async () => {
    // Paused for 20 s when idle, then asleep: both tiers in one run.
    fleet = await startFleet({ capacity: 2, settings: { runtime: { deepSleepAfter: '20s' } } });
    router = await startFleetRouter(fleet);
    ({ botToken, webhookSecret } = await fleet.registerTenant(TENANT));
    await fleet.tenants.ensureStarted(TENANT, { idleTimeout: '1m' });
  });

  after(async () => {
    await router?.close();
    await fleet?.stop();
  });

  // First, while the main tenant sleeps: a second tenant (capacity 2) that asks for a reminder (reminder-cases.ts).
  reminderCases(() => fleet);

  it('the control plane registers the webhook while the tenant sleeps; an update Telegram posts with it wakes the tenant and the bot replies; its own registration matches', async () => {
    const sync = await fleet.tenants.syncTelegramWebhook(TENANT);
    const url = `${fleet.config.router.publicUrl}/tg/${TENANT}`;
    assert.ok('registered' in sync && sync.registered?.url === url, JSON.stringify(sync));
    const ours = fleet.telegram.callsFor(botToken, 'setWebhook');
    assert.equal(ours.length, 1);
    assert.equal(ours[0]!.params['secret_token'], webhookSecret);
    assert.equal(await phase(), 'asleep', 'registering woke nothing');
    assert.deepEqual(await fleet.tenantProcesses(TENANT), []);

    // Telegram posts to the router with the secret it was given.
    const started = Date.now();
    const held = fleet.telegram.webhookOf(botToken)!;
    assert.equal(held.url, url);
    const response = await router.telegram(
      TENANT,
      held.secretToken!,
      telegramUpdate({ updateId: nextUpdateId++, text: 'remember the word pineapple' }),
    );
    assert.equal(response.status, 200, await response.text());
    await fleet.telegram.waitFor(
      (c) =>
        c.method === 'sendMessage' && String(c.params['text']).includes('echo: remember the word pineapple'),
      240_000,
    );
    console.log(`    [e2e] first reply ${((Date.now() - started) / 1000).toFixed(1)} s after the update`);
    assert.equal(await phase(), 'running');
    // The tenant's OpenClaw registered at its start too: the same URL, secret and update kinds as ours.
    await fleet.telegram.waitFor(
      (c) => c.token === botToken && c.method === 'setWebhook' && c !== ours[0],
      60_000,
    );
    const own = fleet.telegram.callsFor(botToken, 'setWebhook').slice(1);
    for (const call of own) {
      assert.equal(call.params['url'], url);
      assert.equal(call.params['secret_token'], webhookSecret);
      assert.ok(
        sameAllowedUpdates(listParam(call.params['allowed_updates']), TELEGRAM_ALLOWED_UPDATES),
        `OpenClaw registers ${JSON.stringify(call.params['allowed_updates'])}`,
      );
    }
    const dir = fleet.tenantDir(TENANT);
    const { statSync } = await import('node:fs');
    assert.equal(statSync(dir).mode & 0o777, 0o700, 'tenant directory is private');
  });

  it('the turn went through the model gateway: the provider saw the platform key, the usage table holds its tokens, the tenant holds no provider key', async () => {
    const calls = fleet.llm.completions();
    assert.ok(calls.length > 0);
    for (const call of calls)
      assert.equal(
        call.headers.authorization,
        `Bearer ${fleet.platformModelKey}`,
        'clawfleet’s key, never a tenant token',
      );
    await fleet.gateway.services.meter.settle();
    const today = new Date().toISOString().slice(0, 10);
    const [day] = await fleet.registry.usageBetween(TENANT, today, today);
    const model = day?.models.find((m) => m.model === 'fake/fake-model');
    assert.ok(
      model && model.requests >= 1 && model.inputTokens > 0 && model.outputTokens > 0,
      JSON.stringify(day),
    );
    assert.equal(model.estimatedRequests, 0, 'the fake returns usage, so nothing is estimated');

    const { readFile } = await import('node:fs/promises');
    const pids = await fleet.tenantProcesses(TENANT);
    assert.ok(pids.length > 0);
    let sawModelToken = false;
    for (const pid of pids) {
      const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
      assert.ok(!environ.includes(fleet.platformModelKey), `process ${pid} holds the provider key`);
      sawModelToken ||= /CLAWFLEET_MODEL_TOKEN=cfm\./.test(environ);
    }
    assert.ok(sawModelToken, 'OpenClaw got its model token instead');
    const config = await readFile(`${fleet.tenantDir(TENANT)}/state/openclaw.json`, 'utf8');
    assert.ok(
      !config.includes(fleet.platformModelKey) && !config.includes('cfm.'),
      'no key in openclaw.json',
    );
    assert.match(config, new RegExp(fleet.gateway.url.replace(/[.]/g, '\\.')), 'its provider is the gateway');
  });

  it('over its daily token budget the next turn gets the gateway’s 429 and the user OpenClaw’s error reply; a raised budget works', async () => {
    const record = await fleet.registry.get(TENANT);
    await fleet.registry.update(TENANT, { quotas: { tokensPerDay: 1 } }, record!.version);
    await new Promise((r) => setTimeout(r, 1_100)); // the gateway's view of the record is at most 1 s old
    const callsBefore = fleet.llm.completions().length;
    const repliesBefore = fleet.telegram.callsFor(botToken, 'sendMessage').length;
    await send('a turn over budget');
    await waitFor('OpenClaw’s error reply', 240_000, () =>
      Promise.resolve(
        fleet.telegram.callsFor(botToken, 'sendMessage').length > repliesBefore ? true : undefined,
      ),
    );
    const reply = fleet.telegram.callsFor(botToken, 'sendMessage').at(-1)!;
    console.log(`    [e2e] reply over budget: ${JSON.stringify(String(reply.params['text']).slice(0, 160))}`);
    assert.match(
      String(reply.params['text']),
      /quota exceeded: tokens per day/,
      'the gateway’s message reached the user',
    );
    assert.equal(fleet.llm.completions().length, callsBefore, 'the provider was never called');
    const metrics = await fleet.gateway.services.metrics.registry.getSingleMetricAsString(
      'clawfleet_quota_rejections_total',
    );
    assert.match(metrics, /kind="tokensPerDay"} [1-9]/);
    await waitFor('the quota hit in the Web UI (signalled by the gateway)', 15_000, async () => {
      const metadata = await fleet.client.workflow
        .getHandle(tenantWorkflowId(TENANT))
        .query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      return /quota hit today: tokensPerDay \(limit 1\)/.test(metadata.currentDetails ?? '')
        ? true
        : undefined;
    });

    const raised = await fleet.registry.get(TENANT);
    await fleet.registry.update(TENANT, { quotas: {} }, raised!.version);
    await new Promise((r) => setTimeout(r, 1_100));
    await send('a turn after the raise');
    await waitFor('the answer after the raise', 240_000, () =>
      Promise.resolve(replies('a turn after the raise').length > 0 ? true : undefined),
    );
  });

  it('pauses when idle (final snapshot, then frozen: no CPU), and the next update resumes it without a relaunch: the conversation continues', async () => {
    await waitFor('the tenant to pause', 240_000, inPhase('paused'));
    const paused = await fleet.tenants.describe(TENANT);
    assert.ok(paused.lastSnapshot, 'the final snapshot was recorded before the pause');
    const pids = await fleet.tenantProcesses(TENANT);
    assert.ok(pids.length >= 2, `the supervisor and OpenClaw kept: ${pids.join(',')}`);
    for (const pid of pids) {
      const group = /^\d+:freezer:(.*)$/m.exec(await readFile(`/proc/${pid}/cgroup`, 'utf8'))?.[1] ?? '';
      assert.match(group, /^\/clawfleet-paused\//, `process ${pid} in the paused freezer group`);
      const state = await readFile(`/sys/fs/cgroup/freezer${group}/freezer.state`, 'utf8');
      assert.equal(state.trim(), 'FROZEN');
    }
    const ticks = async () =>
      (await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/stat`, 'utf8'))))
        .map((stat) => stat.slice(stat.lastIndexOf(')') + 2).split(' '))
        .reduce((sum, f) => sum + Number(f[11]) + Number(f[12]), 0);
    const before = await ticks();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    assert.equal(await ticks(), before, 'no CPU time while paused');

    // The way Telegram sends it: the router finds no endpoint (cleared before the pause) and takes the cold path.
    const started = Date.now();
    const response = await router.telegram(
      TENANT,
      webhookSecret,
      telegramUpdate({ updateId: nextUpdateId++, text: 'which fruit did I name?' }),
    );
    assert.equal(response.status, 200, await response.text());
    await waitFor('the reply after the resume', 120_000, () =>
      Promise.resolve(replies('which fruit did I name?').length > 0 ? true : undefined),
    );
    console.log(
      `    [e2e] reply ${((Date.now() - started) / 1000).toFixed(2)} s after an update to a paused tenant`,
    );
    const resumed = await fleet.tenants.describe(TENANT);
    assert.equal(resumed.phase, 'running');
    assert.equal(resumed.generation, paused.generation, 'the same pod, thawed: no relaunch');
    const texts = userTexts(fleet.llm.completions().at(-1)!.body?.messages ?? []);
    assert.ok(
      texts.some((t) => t.includes('remember the word pineapple')),
      `the model saw the earlier turn; it saw: ${JSON.stringify(texts)}`,
    );
  });

  it('sleeps after the idle timeout and the deep-sleep timeout: final snapshot in S3, every process gone', async () => {
    await waitFor('the tenant to fall asleep', 300_000, inPhase('asleep'));
    const described = await fleet.tenants.describe(TENANT);
    assert.ok(described.lastSnapshot, 'a final snapshot was recorded');
    const listed = await fleet.s3.client.send(
      new ListObjectsV2Command({ Bucket: fleet.s3.bucket, Prefix: `tenants/${TENANT}/` }),
    );
    assert.ok(
      (listed.Contents ?? []).some((o) => o.Key?.endsWith('.tar.zst.enc') || o.Key?.includes('snapshots/')),
    );
    const record = await fleet.registry.get(TENANT);
    assert.ok(record?.latestSnapshotSeq, 'the registry pointer moved');
    assert.ok(record.latestSnapshotSeq >= described.lastSnapshot.seq);
    await waitFor('the tenant processes to exit', 30_000, async () =>
      (await fleet.tenantProcesses(TENANT)).length === 0 ? true : undefined,
    );
  });

  it('a second update wakes it from the snapshot and the conversation continues', async () => {
    await send('what word did I ask you to remember?');
    await waitFor('the second reply', 240_000, () =>
      Promise.resolve(replies('what word did I ask you to remember?').length > 0 ? true : undefined),
    );
    const last = fleet.llm.completions().at(-1)!;
    const texts = userTexts(last.body?.messages ?? []);
    assert.ok(
      texts.some((t) => t.includes('remember the word pineapple')),
      `the model saw the earlier turn after the restore; it saw: ${JSON.stringify(texts)}`,
    );
  });

  it('SIGKILL of the supervisor mid-conversation: relaunched, the pending update answered exactly once', async () => {
    await send('a turn just before the crash');
    await waitFor('the turn before the crash', 240_000, () =>
      Promise.resolve(replies('a turn just before the crash').length > 0 ? true : undefined),
    );
    const before = (await fleet.tenants.describe(TENANT)).generation;
    const [supervisor, ...others] = await supervisorPids(fleet, TENANT);
    assert.ok(supervisor !== undefined && others.length === 0, 'one supervisor process');
    // Freeze it so the next update is accepted by clawfleet but not yet by OpenClaw, then kill it.
    process.kill(supervisor, 'SIGSTOP');
    await send('the pending question');
    await new Promise((r) => setTimeout(r, 2_000)); // the delivery activity is now stuck on the frozen process
    process.kill(supervisor, 'SIGKILL');
    await waitFor('the answer after the relaunch', 300_000, () =>
      Promise.resolve(replies('the pending question').length > 0 ? true : undefined),
    );
    const described = await fleet.tenants.describe(TENANT);
    assert.ok(described.generation > before, 'a new pod generation');
    assert.ok(described.restartCount >= 1);
    // The state the dead process left was salvaged: the turn right before the crash is remembered.
    const last = fleet.llm.completions().at(-1)!;
    const texts = userTexts(last.body?.messages ?? []);
    assert.ok(
      texts.some((t) => t.includes('a turn just before the crash')),
      JSON.stringify(texts),
    );
    await new Promise((r) => setTimeout(r, 5_000)); // a duplicate would arrive right behind the first
    assert.equal(replies('the pending question').length, 1, 'answered exactly once');
  });

  it('SIGKILL of the supervisor while the model answers, a message sent while it is down: the cut-off turn resumed first, each answered exactly once', async () => {
    const text = 'explain slowly why the sea is salty';
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    fleet.llm.setReply(async (messages) => {
      const last = lastUserText(messages);
      if (last.includes(text)) await held;
      return `echo: ${last}`;
    });
    const modelCalls = () =>
      fleet.llm.completions().filter((r) =>
        userTexts(r.body?.messages ?? [])
          .at(-1)
          ?.includes(text),
      );
    const answers = () =>
      fleet.telegram
        .callsFor(botToken, 'sendMessage')
        .filter(
          (c) => String(c.params['text']).startsWith('echo:') && String(c.params['text']).includes(text),
        );
    try {
      const before = (await fleet.tenants.describe(TENANT)).generation;
      await send(text);
      await waitFor('the model call', 120_000, () => Promise.resolve(modelCalls().length > 0 || undefined));
      const [supervisor] = await supervisorPids(fleet, TENANT);
      process.kill(supervisor!, 'SIGKILL'); // OpenClaw had admitted the turn; its answer was still coming
      await new Promise((r) => setTimeout(r, 1_000));
      release(); // the call of the dead gateway ends; only a resumed turn can answer now
      const killedAt = Date.now();
      // The user writes again while the tenant is down: the relaunched pod gets this update as soon as it is
      // ready, racing OpenClaw's restart recovery. Run first, it settled the interrupted session and the
      // cut-off turn was never answered (the chaos run's lost update); the supervisor holds it back meanwhile.
      await send('and one more thing');
      await waitFor('the answer after the relaunch', 300_000, () =>
        Promise.resolve(answers().length > 0 || replies('and one more thing').length > 0 || undefined),
      );
      console.log(
        `    [e2e] answered ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the supervisor kill`,
      );
      await waitFor('both messages answered', 60_000, () =>
        Promise.resolve((answers().length > 0 && replies('and one more thing').length > 0) || undefined),
      ).catch(() => undefined);
      assert.ok((await fleet.tenants.describe(TENANT)).generation > before, 'a new pod generation');
      await new Promise((r) => setTimeout(r, 5_000)); // a duplicate would arrive right behind the first
      assert.equal(answers().length, 1, 'the cut-off turn answered exactly once');
      assert.equal(
        replies('and one more thing').length,
        1,
        'the message sent meanwhile answered exactly once',
      );
      assert.equal(modelCalls().length, 2, 'the cut-off call and the resumed one');
    } finally {
      release();
      fleet.llm.setReply((messages) => `echo: ${lastUserText(messages)}`);
    }
  });

  it('closing the runtime drains the tenant and leaves no process behind', async () => {
    assert.ok((await fleet.tenantProcesses(TENANT)).length > 0, 'the tenant is awake before');
    const pointer = (await fleet.registry.get(TENANT))?.latestSnapshotSeq ?? 0;
    await fleet.adapters.localRuntime!.close();
    assert.deepEqual(await fleet.tenantProcesses(TENANT), []);
    assert.deepEqual(await fleet.runtimeProcesses(), [], 'idle warm supervisors are gone too');
    // The runtime records nothing itself: the drain's snapshot is in the store, newer than the pointer, and the
    // next launch activity records it before restoring (activities/index.ts catchUpPointer).
    const newest = (await fleet.adapters.deps.snapshots.latest(TENANT))?.seq ?? 0;
    assert.ok(newest > pointer, `the drain snapshot is stored (newest ${newest}, pointer ${pointer})`);
    assert.equal(
      (await fleet.registry.get(TENANT))?.latestSnapshotSeq,
      pointer,
      'and not recorded by the runtime',
    );
  });
});

/** The tenant's supervisor: the process running supervisor/main.ts (or a claimed warm one) among the tenant's processes. */
async function supervisorPids(fleet: Fleet, tenantId: string): Promise<number[]> {
  const { readFile } = await import('node:fs/promises');
  const pids = await fleet.tenantProcesses(tenantId);
  const found: number[] = [];
  for (const pid of pids) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    // The sandbox's bubblewrap names the supervisor in its own argv; it is the launcher, not the supervisor.
    const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
    if (comm === 'bwrap') continue;
    if (cmdline.includes('supervisor/main.ts') || cmdline.includes('local/warm-supervisor-main.ts'))
      found.push(pid);
  }
  return found;
}

/** A list parameter of a Bot API call: a JSON array, or JSON text in a form field. */
function listParam(value: unknown): string[] | undefined {
  const list: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  return Array.isArray(list) ? list.map(String) : undefined;
}
