import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../common/config.js';
import { ensureOpenClaw, type OpenClawInstall } from '../../dev/openclaw-install.js';
import { SupervisorAgentClient } from '../../runtime/supervisor-client.js';
import type { AgentActivity, SnapshotManifest } from '../../workflows/types.js';
import { startFakeLlm, userTexts, type FakeLlm } from '../../fakes/fake-llm.js';
import { startFakeTelegram, telegramUpdate, type FakeTelegram } from '../../fakes/fake-telegram.js';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { testGrants, type TestGrants } from '../helpers/snapshot-grants.js';
import { freePort } from '../local/gateway-process.js';
import { processesMentioning, startSupervisor, type SupervisorProcess } from './supervisor-process.js';

const TENANT = 'e2e-pod';
const BOT_TOKEN = '654321:fake-pod-bot';

describe('pod supervisor with the real OpenClaw, fake LLM, fake Telegram and s3rver', function () {
  // Two gateway starts (9–22 s each, more on a busy machine) plus turns and snapshots.
  this.timeout(240_000);

  let install: OpenClawInstall;
  let llm: FakeLlm;
  let telegram: FakeTelegram;
  let s3: TestS3;
  let dir: string;
  let grants: TestGrants;
  let supervisor: SupervisorProcess | undefined;
  const secrets = {
    supervisorToken: randomBytes(24).toString('hex'),
    gatewayToken: randomBytes(24).toString('hex'),
    telegramBotToken: BOT_TOKEN,
    telegramWebhookSecret: randomBytes(16).toString('hex'),
    modelApiKey: 'fake-key',
  };
  const client = new SupervisorAgentClient({ token: () => secrets.supervisorToken });
  const handle = () => ({ podId: `${TENANT}-1`, endpoint: supervisor!.url });
  const replied = (text: string) =>
    telegram.waitFor(
      (c) => c.method === 'sendMessage' && String(c.params['text']).includes(`echo: ${text}`),
      90_000,
    );

  async function launch(name: string): Promise<SupervisorProcess> {
    const [port, gatewayPort, webhookPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const started = Date.now();
    const launched = await startSupervisor(
      join(dir, name),
      {
        tenantId: TENANT,
        listen: { host: '127.0.0.1', port },
        gateway: { host: '127.0.0.1', port: gatewayPort },
        rootDir: join(dir, name, 'pod'),
        openclaw: { version: install.version, node: install.node, entry: install.entry },
        provider: { name: 'fake', baseUrl: llm.url, modelId: 'fake-model' },
        telegram: { webhookUrl: `http://127.0.0.1:1/tg/${TENANT}`, webhookPort, apiRoot: telegram.url },
        snapshots: {},
      },
      { ...secrets, snapshotGrant: await grants.issue(TENANT) },
    );
    const deadline = Date.now() + 180_000;
    while ((await launched.api('/readyz')).status !== 200) {
      if (launched.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`supervisor ${name} never became ready:\n${launched.output().slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    console.log(`    [pod] ${name}: ready ${((Date.now() - started) / 1000).toFixed(1)} s after launch`);
    return launched;
  }

  before(async () => {
    install = await ensureOpenClaw({ cacheDir: loadConfig().cacheDir });
    [llm, telegram, s3, dir] = await Promise.all([
      startFakeLlm(),
      startFakeTelegram(),
      startS3('pod-e2e'),
      mkdtemp(join(tmpdir(), 'clawfleet-pod-e2e-')),
    ]);
    grants = await testGrants(s3, join(dir, 'master.key'));
  });

  after(async () => {
    try {
      if (supervisor) await supervisor.stop(90_000);
      // Last resort: nothing started for this test may outlive it.
      for (const pid of dir ? await processesMentioning(dir) : []) process.kill(pid, 'SIGKILL');
    } finally {
      grants?.close();
      await Promise.allSettled([llm?.close(), telegram?.close(), s3?.close()]);
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });

  it('starts from empty state, delivers an update with a durable ack and the bot replies', async () => {
    supervisor = await launch('first');
    const update = telegramUpdate({ updateId: 3001, text: 'remember the word pineapple' });
    await client.deliver(handle(), {
      channel: 'telegram',
      dedupeId: '3001',
      receivedAt: new Date().toISOString(),
      body: JSON.stringify(update),
    });
    const reply = await replied('remember the word pineapple');
    assert.equal(String(reply.params['chat_id']), '111');
  });

  it('reports activity from OpenClaw: idle, recently active, nothing scheduled', async () => {
    const activity: AgentActivity = await client.activity(handle());
    assert.equal(activity.inFlightRuns, 0);
    assert.ok(activity.lastActiveAt && Date.now() - Date.parse(activity.lastActiveAt) < 120_000);
    assert.equal(activity.nextScheduledAt, null, 'heartbeat, dreaming and skill review are off');
  });

  it('streams chat completions through the supervisor with the gateway token added', async () => {
    const response = await supervisor!.api('/v1/chat/completions', {
      method: 'POST',
      body: JSON.stringify({
        model: 'openclaw/default',
        user: 'api-user',
        stream: true,
        messages: [{ role: 'user', content: 'stream via pod' }],
      }),
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    assert.match(await response.text(), /echo: stream via pod[\s\S]*data: \[DONE\]/);
  });

  it('writes a consistent snapshot of the running gateway to S3 and returns its manifest', async () => {
    const started = Date.now();
    const manifest: SnapshotManifest = await client.snapshot(handle());
    console.log(
      `    [pod] live snapshot: ${manifest.size} bytes in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    assert.equal(manifest.seq, 1);
    assert.equal(manifest.openclawVersion, install.version);
    const { store } = grants;
    const stored = await store.readManifest(TENANT, 1);
    assert.equal(stored.sha256, manifest.sha256);
  });

  it('drains: the gateway stops, the final snapshot is written, the supervisor exits, nothing is left running', async () => {
    const pid = supervisor!.child.pid!;
    const drained = await client.drain(handle());
    assert.equal(drained?.seq, 2);
    assert.equal(await supervisor!.exited, 0);
    supervisor = undefined;
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(await processesMentioning(join(dir, 'first')), [], 'no gateway, broker or worker left');
    assert.throws(() => process.kill(pid, 0));
  });

  it('a second supervisor restores that snapshot and the conversation continues', async () => {
    supervisor = await launch('second');
    const update = telegramUpdate({ updateId: 3002, text: 'what was the word' });
    const response = await supervisor.api('/deliver/telegram', {
      method: 'POST',
      body: JSON.stringify(update),
    });
    assert.equal(response.status, 200);
    await replied('what was the word');
    const request = llm
      .completions()
      .find((r) => userTexts(r.body?.messages ?? []).at(-1) === 'what was the word');
    assert.ok(request, 'the model was asked');
    assert.deepEqual(userTexts(request.body!.messages!), [
      'remember the word pineapple',
      'what was the word',
    ]);
    assert.equal(await supervisor.stop(90_000), 0, 'SIGTERM drains and exits cleanly');
    supervisor = undefined;
    assert.deepEqual(await processesMentioning(join(dir, 'second')), []);
  });
});
