/**
 * Turns cut off mid model call are answered exactly once, with the real
 * OpenClaw behind a real supervisor: a Telegram update whose gateway is
 * SIGKILLed while the model is thinking (OpenClaw's own restart recovery
 * resumes it), and chat requests with an Idempotency-Key whose caller went
 * away or whose gateway died (the supervisor's chat journal). The slow model
 * is the fake LLM holding its answer until the test lets it go.
 */
import { strict as assert } from 'node:assert';
import { lastUserText, userTexts } from '../../fakes/fake-llm.js';
import { telegramUpdate } from '../../fakes/fake-telegram.js';
import { useOpenClawSupervisors, type OpenClawSupervisor } from './openclaw-supervisors.js';
import { eventually } from './supervisor-process.js';

const TENANT = 'interrupted';

describe('interrupted turns with the real OpenClaw: answered exactly once', function () {
  // One gateway start (9–22 s), two gateway restarts, a few turns.
  this.timeout(300_000);

  const suite = useOpenClawSupervisors('interrupted', TENANT);
  let pod: OpenClawSupervisor;
  /** Answers to messages containing this word wait until `release()`. */
  const HOLD = 'slowly';
  let release: () => void = () => undefined;
  let held = new Promise<void>((resolve) => (release = resolve));
  const holdAgain = (): void => {
    held = new Promise<void>((resolve) => (release = resolve));
  };

  before(async () => {
    pod = await suite().launch('pod');
    suite().llm.setReply(async (messages) => {
      const text = lastUserText(messages);
      if (text.includes(HOLD)) await held;
      return `echo: ${text}`;
    });
  });

  /** Model calls whose latest user text mentions `text` (a resumed turn wraps it in OpenClaw's notice). */
  const modelCallsFor = (text: string) =>
    suite()
      .llm.completions()
      .filter((r) =>
        userTexts(r.body?.messages ?? [])
          .at(-1)
          ?.includes(text),
      );
  const gatewayPid = async () => ((await (await pod.process.api('/readyz')).json()) as { pid: number }).pid;
  const killGatewayWhenAsked = async (text: string) => {
    await eventually(
      () => Promise.resolve(modelCallsFor(text).length > 0 || undefined),
      60_000,
      'the model call',
    );
    process.kill(await gatewayPid(), 'SIGKILL');
    release(); // the model answers the dead gateway's call; the resumed turn is answered at once
  };

  it('Telegram: the gateway SIGKILLed mid model call, another update sent meanwhile; OpenClaw resumes the turn first, one answer each', async () => {
    const text = 'tell me slowly about lighthouses';
    const response = await pod.process.api('/deliver/telegram', {
      method: 'POST',
      body: JSON.stringify(telegramUpdate({ updateId: 7001, text })),
    });
    assert.equal(response.status, 200);
    await killGatewayWhenAsked(text);
    const killedAt = Date.now();
    // The user writes again while the gateway restarts: this delivery waits for it and reaches the new gateway
    // as it turns ready, racing OpenClaw's restart recovery; run first, it settled the interrupted session and
    // the cut-off turn was never answered (the chaos run's lost update). It must queue behind the resumed turn.
    const later = 'and one more thing';
    // Retried until accepted, as the delivery activity does (a dead gateway's webhook refuses it: 502).
    const laterDelivery = (async () => {
      for (let tries = 0; ; tries++) {
        const response = await pod.process.api('/deliver/telegram', {
          method: 'POST',
          body: JSON.stringify(telegramUpdate({ updateId: 7002, text: later })),
        });
        if (response.status === 200 || tries > 180) return response;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    })();
    const readyz = async () => (await pod.process.api('/readyz')).status;
    await eventually(async () => ((await readyz()) !== 200 ? true : undefined), 10_000, 'the crash noticed');
    await eventually(
      async () => ((await readyz()) === 200 ? true : undefined),
      180_000,
      'the restarted gateway',
    );
    const readyAt = Date.now();
    const answers = () =>
      suite()
        .telegram.calls.filter((c) => c.method === 'sendMessage')
        .filter(
          (c) => String(c.params['text']).startsWith('echo:') && String(c.params['text']).includes(text),
        );
    await eventually(() => Promise.resolve(answers().length > 0 || undefined), 180_000, 'the answer');
    console.log(
      `    [interrupted] gateway SIGKILL → ready again ${((readyAt - killedAt) / 1000).toFixed(1)} s ` +
        `(0.5 s restart backoff + OpenClaw boot) → answer ${((Date.now() - readyAt) / 1000).toFixed(1)} s later (OpenClaw's recovery)`,
    );
    assert.equal((await laterDelivery).status, 200, 'the update sent meanwhile is delivered');
    const laterAnswers = () =>
      suite()
        .telegram.calls.filter((c) => c.method === 'sendMessage')
        .filter((c) => String(c.params['text']).includes(`echo: ${later}`));
    await eventually(
      () => Promise.resolve(laterAnswers().length > 0 || undefined),
      60_000,
      'the later answer',
    );
    await new Promise((r) => setTimeout(r, 5_000)); // a duplicate would come right behind
    assert.equal(answers().length, 1, 'answered exactly once');
    assert.equal(laterAnswers().length, 1, 'the update sent meanwhile answered exactly once');
    assert.equal(modelCallsFor(text).length, 2, 'the cut-off call and the resumed one');
    // The update sent meanwhile waited for OpenClaw's recovery, which the supervisor saw in the gateway's output.
    assert.match(pod.process.output(), /a turn was cut off: deliveries wait/);
    assert.match(pod.process.output(), /OpenClaw resumed the cut-off turn/);
  });

  const chat = (content: string, key: string, signal?: AbortSignal) =>
    fetch(`${pod.process.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${suite().secrets.supervisorToken}`,
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body: JSON.stringify({
        model: 'openclaw/default',
        user: 'retrying-client',
        messages: [{ role: 'user', content }],
      }),
      ...(signal ? { signal } : {}),
    });

  it('chat: the caller goes away mid turn and retries with its key: one model call, one answer, replayed after', async () => {
    holdAgain();
    const text = 'count slowly to three';
    const key = 'client-retry-0001';
    const gone = new AbortController();
    const first = chat(text, key, gone.signal).catch(() => 'aborted');
    await eventually(
      () => Promise.resolve(modelCallsFor(text).length > 0 || undefined),
      60_000,
      'the model call',
    );
    gone.abort();
    assert.equal(await first, 'aborted');
    const retry = chat(text, key); // waits for the running turn instead of starting another
    await new Promise((r) => setTimeout(r, 1_000));
    release();
    const answer = await retry;
    assert.equal(answer.status, 200);
    assert.match(JSON.stringify(await answer.json()), new RegExp(`echo: ${text}`));
    const again = await chat(text, key);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.match(JSON.stringify(await again.json()), new RegExp(`echo: ${text}`));
    assert.equal(modelCallsFor(text).length, 1, 'the agent ran the turn once');
    const reused = await chat('another question', key);
    assert.equal(reused.status, 422, 'a key is bound to its request');
  });

  it('chat: the gateway SIGKILLed mid turn; the retry with the same key gets one answer', async () => {
    holdAgain();
    const text = 'think slowly about tides';
    const key = 'client-retry-0002';
    const first = chat(text, key).then(
      async (r) => (r.ok ? await r.text() : `status ${r.status}`),
      () => 'failed',
    );
    await killGatewayWhenAsked(text);
    const firstOutcome = await first;
    assert.doesNotMatch(firstOutcome, /echo:/, 'the cut-off request got no answer');
    let answer: Response | undefined;
    await eventually(
      async () => {
        const r = await chat(text, key);
        if (r.status === 200) return (answer = r);
        await r.arrayBuffer();
        return undefined;
      },
      180_000,
      'the retried answer',
    );
    assert.match(JSON.stringify(await answer!.json()), new RegExp(`echo: ${text}`));
    const again = await chat(text, key);
    assert.equal(again.headers.get('idempotent-replayed'), 'true', 'further retries replay it');
    console.log(`    [interrupted] model calls for the cut-off chat turn: ${modelCallsFor(text).length}`);
  });

  it("OpenClaw's crash-loop breaker (3 unclean boots in 5 min) does not keep the Telegram channel down", async () => {
    // A pod of its own whose supervisor tolerates the crashes, so the fourth boot is OpenClaw's breaker's.
    const breaker = await suite().launch('breaker', {
      crashLoop: { maxCrashes: 10, windowMs: 600_000, backoffMs: 500 },
    });
    const readyz = () => breaker.process.api('/readyz');
    for (let kill = 1; kill <= 3; kill++) {
      const { pid } = (await (await readyz()).json()) as { pid: number };
      process.kill(pid, 'SIGKILL'); // an unclean boot, as a pod's death leaves it
      await eventually(async () => ((await readyz()).status !== 200 ? true : undefined), 10_000, 'the crash');
      await eventually(
        async () => ((await readyz()).status === 200 ? true : undefined),
        180_000,
        `ready after kill ${kill} (Telegram listening)`,
      );
    }
    assert.match(
      breaker.process.output(),
      /crash-loop breaker held the channels back/,
      "OpenClaw's breaker tripped on the last boot, and the supervisor overrode it",
    );
    const text = 'still there after the crashes?';
    const delivered = await breaker.process.api('/deliver/telegram', {
      method: 'POST',
      body: JSON.stringify(telegramUpdate({ updateId: 7101, text })),
    });
    assert.equal(delivered.status, 200);
    await eventually(
      () =>
        Promise.resolve(
          suite().telegram.calls.some(
            (c) => c.method === 'sendMessage' && String(c.params['text']).includes(text),
          ) || undefined,
        ),
      120_000,
      'the answer',
    );
  });
});
