import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SupervisorAgentClient } from '../../runtime/supervisor-client.js';
import { echoReply } from '../../fakes/fake-llm.js';
import { telegramUpdate, type BotApiCall } from '../../fakes/fake-telegram.js';
import type { AgentActivity } from '../../workflows/types.js';
import { useOpenClawSupervisors, type OpenClawSupervisor } from './openclaw-supervisors.js';
import { watchNewProcesses, type ProcessWatch } from './process-watch.js';
import { eventually } from './supervisor-process.js';

const TENANT = 'e2e-activity';

type Probe = AgentActivity & { readonly at: number };

describe('the activity probe with the real OpenClaw: no process started, busy exactly while a turn runs', function () {
  // One gateway start (9–22 s, more on a busy machine), a cold first turn and a few more.
  this.timeout(240_000);

  const suite = useOpenClawSupervisors('pod-activity', TENANT);
  const client = new SupervisorAgentClient({ token: () => suite().secrets.supervisorToken });
  let tenant: OpenClawSupervisor;
  let watch: ProcessWatch | undefined;
  const activity = (): Promise<AgentActivity> =>
    client.activity({ podId: `${TENANT}-1`, endpoint: tenant.process.url });

  /** The fake model answers only once `release` is called. */
  function holdModel(): { release: () => void; asked: () => boolean } {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const before = suite().llm.completions().length;
    suite().llm.setReply(async (messages, request) => {
      await gate;
      return echoReply(messages, request);
    });
    return { release, asked: () => suite().llm.completions().length > before };
  }

  /** Probes every 50 ms until `until` holds; returns every answer with the time it came back. */
  async function probeUntil(until: () => boolean, timeoutMs: number): Promise<Probe[]> {
    const answers: Probe[] = [];
    const deadline = Date.now() + timeoutMs;
    while (!until()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
      answers.push({ ...(await activity()), at: Date.now() });
      await new Promise((r) => setTimeout(r, 50));
    }
    return answers;
  }

  before(async () => {
    tenant = await suite().launch('probe');
  });

  beforeEach(() => {
    suite().llm.setReply(echoReply);
    watch = watchNewProcesses(tenant.process.child.pid!);
  });

  afterEach(() => {
    watch?.stop();
    assert.deepEqual(watch?.spawned, [], 'the supervisor started no process (an OpenClaw CLI call is one)');
  });

  it('answers repeated probes of an idle tenant at once', async () => {
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      const answer = await activity();
      assert.equal(answer.inFlightRuns, 0);
      assert.equal(answer.nextScheduledAt, null, 'heartbeat, dreaming and skill review are off');
      assert.ok(performance.now() - started < 500, 'no CLI round trip (0.8–2.8 s each)');
    }
  });

  it('reports busy from the durable ack of an update until its reply is sent, and for one queued behind it, then idle', async () => {
    const model = holdModel();
    const acked = Date.now();
    const deliver = (updateId: number, text: string) =>
      client.deliver(
        { podId: `${TENANT}-1`, endpoint: tenant.process.url },
        {
          channel: 'telegram',
          dedupeId: String(updateId),
          receivedAt: new Date().toISOString(),
          body: JSON.stringify(telegramUpdate({ updateId, text })),
        },
      );
    await deliver(4001, 'hold this turn');
    // From the ack through dispatch and turn set-up (seconds on a cold first turn) to the model call,
    // while the model holds its answer, and on until the reply has been sent.
    const beforeModel = await probeUntil(model.asked, 90_000);
    // The second update waits for the first turn; its own turn starts after that one ends.
    await deliver(4002, 'queued behind it');
    let heldProbes = 0;
    const held = await probeUntil(() => heldProbes++ >= 10, 10_000);
    model.release();
    const isReply = (c: BotApiCall) =>
      c.method === 'sendMessage' && String(c.params['text']).includes('echo: queued behind it');
    const after = await probeUntil(() => suite().telegram.calls.some(isReply), 60_000);
    const repliedAt = (await suite().telegram.waitFor(isReply, 1_000)).at;
    const answers = [...beforeModel, ...held, ...after.filter((p) => p.at < repliedAt)];
    assert.ok(beforeModel.length > 0, 'probed before the model was asked');
    assert.deepEqual(
      answers.map((a) => a.inFlightRuns > 0),
      answers.map(() => true),
      `every one of ${answers.length} probes mid-turn says busy`,
    );
    const idle = await eventually(
      async () => {
        const answer = await activity();
        return answer.inFlightRuns === 0 ? answer : undefined;
      },
      15_000,
      'idle after the reply',
    );
    assert.ok(Date.parse(idle.lastActiveAt!) >= acked, 'the turns count as activity');
  });

  it('reports a chat completion through the supervisor as busy until it is answered', async () => {
    const model = holdModel();
    const response = tenant.process.api('/v1/chat/completions', {
      method: 'POST',
      body: JSON.stringify({
        model: 'openclaw/default',
        user: 'probe',
        messages: [{ role: 'user', content: 'hold' }],
      }),
    });
    const answers = [
      (await activity()).inFlightRuns,
      ...(await probeUntil(model.asked, 60_000)).map((a) => a.inFlightRuns),
    ];
    answers.push((await activity()).inFlightRuns);
    assert.ok(
      answers.every((n) => n > 0),
      `in flight: ${answers.join(', ')}`,
    );
    model.release();
    assert.equal((await response).status, 200);
    await eventually(async () => ((await activity()).inFlightRuns === 0 ? true : undefined), 15_000, 'idle');
  });

  it("reports a reminder's next run as the next scheduled wake, and it is not work in flight", async () => {
    // The test's own CLI call, outside the supervisor: only probes must not start one.
    const { stdout } = await promisify(execFile)(
      suite().install.node,
      [
        suite().install.entry,
        'cron',
        'add',
        '--at',
        '30m',
        '--name',
        'stretch',
        '--no-deliver',
        '--message',
        'Remind me to stretch',
        '--json',
      ],
      { env: tenant.env, cwd: tenant.stateDir },
    );
    const job = JSON.parse(stdout.slice(stdout.indexOf('{'), stdout.lastIndexOf('}') + 1)) as {
      schedule: { at: string };
    };
    const answer = await activity();
    assert.equal(answer.nextScheduledAt, new Date(job.schedule.at).toISOString());
    assert.equal(answer.inFlightRuns, 0);
  });
});
