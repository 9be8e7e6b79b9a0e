import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { SupervisorAgentClient } from '../../runtime/supervisor-client.js';
import type { AgentActivity, SnapshotManifest } from '../../workflows/types.js';
import { userTexts } from '../../fakes/fake-llm.js';
import { telegramUpdate } from '../../fakes/fake-telegram.js';
import { useOpenClawSupervisors } from './openclaw-supervisors.js';
import { processesMentioning, type SupervisorProcess } from './supervisor-process.js';

const TENANT = 'e2e-pod';

describe('pod supervisor with the real OpenClaw, fake LLM, fake Telegram and s3rver', function () {
  // Two gateway starts (9–22 s each, more on a busy machine) plus turns and snapshots.
  this.timeout(240_000);

  const suite = useOpenClawSupervisors('pod-e2e', TENANT);
  let supervisor: SupervisorProcess | undefined;
  const client = new SupervisorAgentClient({ token: () => suite().secrets.supervisorToken });
  const handle = () => ({ podId: `${TENANT}-1`, endpoint: supervisor!.url });
  const replied = (text: string) =>
    suite().telegram.waitFor(
      (c) => c.method === 'sendMessage' && String(c.params['text']).includes(`echo: ${text}`),
      90_000,
    );
  const launch = async (name: string) => (await suite().launch(name)).process;

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
    assert.equal(manifest.openclawVersion, suite().install.version);
    const { store } = suite().grants;
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
    assert.deepEqual(
      await processesMentioning(join(suite().dir, 'first')),
      [],
      'no gateway, broker or worker left',
    );
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
    const request = suite()
      .llm.completions()
      .find((r) => userTexts(r.body?.messages ?? []).at(-1) === 'what was the word');
    assert.ok(request, 'the model was asked');
    assert.deepEqual(userTexts(request.body!.messages!), [
      'remember the word pineapple',
      'what was the word',
    ]);
    assert.equal(await supervisor.stop(90_000), 0, 'SIGTERM drains and exits cleanly');
    supervisor = undefined;
    assert.deepEqual(await processesMentioning(join(suite().dir, 'second')), []);
  });
});
