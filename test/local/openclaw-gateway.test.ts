import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loadConfig } from '../../common/config.js';
import { ensureOpenClaw } from '../../dev/openclaw-install.js';
import { buildOpenClawConfig, OPENCLAW_SECRET_ENV } from '../../supervisor/openclaw-config.js';
import { startFakeLlm, userTexts, type FakeLlm } from '../../fakes/fake-llm.js';
import { startFakeTelegram, telegramUpdate, type FakeTelegram } from '../../fakes/fake-telegram.js';
import {
  freePort,
  makeStateDir,
  removeStateDir,
  startGateway,
  type GatewayProcess,
} from './gateway-process.js';

const BOT_TOKEN = '123456:fake-bot-token';

describe('real OpenClaw gateway with the tenant config, against fake LLM and fake Telegram', function () {
  // Gateway start is 11–15 s on 2 idle cores and much slower on a busy machine.
  this.timeout(180_000);

  let llm: FakeLlm;
  let telegram: FakeTelegram;
  let gateway: GatewayProcess | undefined;
  let root: string;
  let gatewayPort: number;
  let webhookPort: number;
  const gatewayToken = randomBytes(24).toString('hex');
  const webhookSecret = randomBytes(16).toString('hex');

  const postUpdate = (update: Record<string, unknown>, secret = webhookSecret) =>
    fetch(`http://127.0.0.1:${webhookPort}/telegram-webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
      body: JSON.stringify(update),
    });

  const chat = (body: Record<string, unknown>, token = gatewayToken) =>
    fetch(`http://127.0.0.1:${gatewayPort}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ model: 'openclaw/default', ...body }),
    });

  const sentTexts = () => telegram.callsFor(BOT_TOKEN, 'sendMessage').map((c) => String(c.params['text']));

  before(async function () {
    const install = await ensureOpenClaw({
      cacheDir: loadConfig().common.cacheDir,
      report: (line) => console.log(`    [openclaw] ${line}`),
    });
    [llm, telegram, root, gatewayPort, webhookPort] = await Promise.all([
      startFakeLlm(),
      startFakeTelegram(),
      makeStateDir(),
      freePort(),
      freePort(),
    ]);
    const config = buildOpenClawConfig({
      tenantId: 'gw-test',
      paths: {
        workspaceDir: join(root, 'state', 'workspace'),
        logFile: join(root, 'state', 'logs', 'openclaw.log'),
      },
      gateway: { host: '127.0.0.1', port: gatewayPort },
      provider: { name: 'fake', baseUrl: llm.url, modelId: 'fake-model' },
      telegram: {
        apiRoot: telegram.url,
        webhookUrl: 'http://127.0.0.1:1/tg/gw-test',
        webhookHost: '127.0.0.1',
        webhookPort,
      },
    });
    gateway = await startGateway({
      install,
      root,
      config,
      port: gatewayPort,
      secretEnv: {
        [OPENCLAW_SECRET_ENV.gatewayToken]: gatewayToken,
        [OPENCLAW_SECRET_ENV.telegramBotToken]: BOT_TOKEN,
        [OPENCLAW_SECRET_ENV.telegramWebhookSecret]: webhookSecret,
        [OPENCLAW_SECRET_ENV.modelToken]: 'fake-key',
      },
    });
    console.log(`    [openclaw] /readyz 200 after ${gateway.readySeconds.toFixed(1)} s`);
  });

  after(async function () {
    try {
      if (gateway)
        console.log(`    [openclaw] exited ${(await gateway.stop()).seconds.toFixed(1)} s after SIGTERM`);
    } finally {
      await Promise.allSettled([llm?.close(), telegram?.close()]);
      if (root) await removeStateDir(root);
    }
  });

  it('registers its webhook with the secret at the fake Bot API on start', async () => {
    const setWebhook = await telegram.waitFor(
      (c) => c.token === BOT_TOKEN && c.method === 'setWebhook',
      30_000,
    );
    assert.equal(setWebhook.params['url'], 'http://127.0.0.1:1/tg/gw-test');
    assert.equal(setWebhook.params['secret_token'], webhookSecret);
  });

  it('refuses a Telegram update carrying the wrong secret token', async () => {
    const response = await postUpdate(telegramUpdate({ updateId: 500, text: 'intruder' }), 'wrong-secret');
    assert.equal(response.status, 401);
  });

  it('acknowledges a Telegram update durably and replies through the Bot API sendMessage', async () => {
    const response = await postUpdate(telegramUpdate({ updateId: 1001, text: 'hello from telegram' }));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-openclaw-delivery-accepted'), 'durable');
    const reply = await telegram.waitFor(
      (c) => c.method === 'sendMessage' && String(c.params['text']).includes('echo: hello from telegram'),
      60_000,
    );
    assert.equal(String(reply.params['chat_id']), '111');
  });

  it('acknowledges a repeated update_id without processing it a second time', async () => {
    const response = await postUpdate(telegramUpdate({ updateId: 1001, text: 'hello from telegram' }));
    assert.equal(response.status, 200);
    // A later, distinct update is processed; by then a duplicate would have been processed too (per-chat lane order).
    await postUpdate(telegramUpdate({ updateId: 1002, text: 'second message' }));
    await telegram.waitFor(
      (c) => c.method === 'sendMessage' && String(c.params['text']).includes('echo: second message'),
      60_000,
    );
    assert.equal(sentTexts().filter((t) => t.includes('echo: hello from telegram')).length, 1);
    const seenByModel = llm
      .completions()
      .filter((r) => userTexts(r.body?.messages ?? []).at(-1) === 'hello from telegram');
    assert.equal(seenByModel.length, 1);
  });

  it('shows the model the earlier exchange when the same chat sends another message', () => {
    const last = llm.completions().find((r) => userTexts(r.body?.messages ?? []).at(-1) === 'second message');
    assert.ok(last, 'the model was asked about the second message');
    assert.deepEqual(userTexts(last.body!.messages!), ['hello from telegram', 'second message']);
    assert.ok(
      last.body!.messages!.some(
        (m) => m.role === 'assistant' && String(m.content).includes('echo: hello from telegram'),
      ),
    );
    assert.equal(last.body!.stream, true, 'OpenClaw always streams from the provider');
  });

  it('answers OpenAI chat completions with the gateway token, both plain and streamed', async () => {
    const plain = await chat({ user: 'api-user', messages: [{ role: 'user', content: 'ping over http' }] });
    assert.equal(plain.status, 200);
    const body = (await plain.json()) as { choices: { message: { content: string } }[] };
    assert.equal(body.choices[0]?.message.content, 'echo: ping over http');

    const streamed = await chat({
      user: 'api-user',
      stream: true,
      messages: [{ role: 'user', content: 'stream over http' }],
    });
    assert.equal(streamed.status, 200);
    assert.match(streamed.headers.get('content-type') ?? '', /text\/event-stream/);
    const events = (await streamed.text()).split('\n\n').filter((e) => e.startsWith('data: '));
    assert.equal(events.at(-1), 'data: [DONE]');
    const text = events
      .slice(0, -1)
      .map((e) => JSON.parse(e.slice(6)) as { choices: { delta: { content?: string } }[] })
      .map((chunk) => chunk.choices[0]?.delta.content ?? '')
      .join('');
    assert.equal(text, 'echo: stream over http');
  });

  it('refuses chat completions with a wrong bearer token', async () => {
    const response = await chat({ messages: [{ role: 'user', content: 'x' }] }, 'not-the-token');
    assert.equal(response.status, 401);
  });

  it('stops cleanly on SIGTERM and leaves no processes behind', async () => {
    const { seconds, orphans } = await gateway!.stop();
    assert.ok(seconds < 30, `exit took ${seconds} s`);
    assert.equal(orphans, 0, 'spawn broker and sqlite worker exit with the gateway');
    assert.equal(gateway!.child.signalCode ?? gateway!.child.exitCode, 0);
  });
});
