import { strict as assert } from 'node:assert';
import { offeredTools, startFakeLlm, toolResults, userTexts } from '../../fakes/fake-llm.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeTelegram, telegramUpdate } from '../../fakes/fake-telegram.js';

describe('fake model provider and fake Telegram Bot API', () => {
  it('streams an OpenAI chat completion as role, content, stop, usage and [DONE], and records the request', async () => {
    const llm = await startFakeLlm();
    try {
      const response = await fetch(`${llm.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'fake-model',
          stream: true,
          messages: [{ role: 'user', content: 'hi there' }],
        }),
      });
      const events = (await response.text()).split('\n\n').filter(Boolean);
      assert.equal(events.length, 5);
      const chunks = events.slice(0, 4).map(
        (e) =>
          JSON.parse(e.slice('data: '.length)) as {
            choices: { delta?: object; finish_reason?: string }[];
            usage?: object;
          },
      );
      assert.deepEqual(chunks[0]?.choices[0]?.delta, { role: 'assistant', content: '' });
      assert.deepEqual(chunks[1]?.choices[0]?.delta, { content: 'echo: hi there' });
      assert.equal(chunks[2]?.choices[0]?.finish_reason, 'stop');
      assert.ok(chunks[3]?.usage);
      assert.equal(events[4], 'data: [DONE]');
      assert.deepEqual(userTexts(llm.completions()[0]?.body?.messages ?? []), ['hi there']);
    } finally {
      await llm.close();
    }
  });

  it('answers non-streaming completions and model listing, with a scripted reply', async () => {
    const llm = await startFakeLlm({ reply: (messages) => `seen ${messages.length}` });
    try {
      const post = await fetch(`${llm.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'fake-model',
          messages: [
            { role: 'user', content: 'a' },
            { role: 'assistant', content: 'b' },
            { role: 'user', content: 'c' },
          ],
        }),
      });
      const body = (await post.json()) as { choices: { message: { content: string } }[] };
      assert.equal(body.choices[0]?.message.content, 'seen 3');
      const models = (await (await fetch(`${llm.url}/models`)).json()) as { data: { id: string }[] };
      assert.deepEqual(
        models.data.map((m) => m.id),
        ['fake-model'],
      );
    } finally {
      await llm.close();
    }
  });

  it('streams scripted tool calls, then reads their results back from the next request', async () => {
    const llm = await startFakeLlm({
      reply: (messages) => {
        const results = toolResults(messages);
        if (results.length === 0) return { toolCalls: [{ name: 'exec', arguments: { command: 'id -u' } }] };
        return `ran ${results[0]?.name}: ${results[0]?.text}`;
      },
    });
    try {
      const post = (messages: unknown[]) =>
        fetch(`${llm.url}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            stream: true,
            messages,
            tools: [{ type: 'function', function: { name: 'exec', parameters: {} } }],
          }),
        }).then((r) => r.text());
      const user = { role: 'user', content: 'who am I' };
      const chunks = (await post([user]))
        .split('\n\n')
        .filter((e) => e.startsWith('data: {'))
        .map(
          (e) =>
            JSON.parse(e.slice(6)) as {
              choices: {
                delta: { tool_calls?: { id: string; function: { name: string; arguments: string } }[] };
                finish_reason: string | null;
              }[];
            },
        );
      const call = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])[0];
      assert.equal(call?.function.name, 'exec');
      assert.deepEqual(JSON.parse(call?.function.arguments ?? '{}'), { command: 'id -u' });
      assert.ok(chunks.some((c) => c.choices[0]?.finish_reason === 'tool_calls'));
      assert.deepEqual(offeredTools(llm.completions()[0]!), ['exec']);

      const second = await post([
        user,
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: call?.id, type: 'function', function: call?.function }],
        },
        { role: 'tool', tool_call_id: call?.id, content: '200001' },
      ]);
      assert.match(second, /ran exec: 200001/);
    } finally {
      await llm.close();
    }
  });

  it('records Bot API calls per token, keeps the webhook, and wakes a waiter on sendMessage', async () => {
    const telegram = await startFakeTelegram();
    try {
      const call = (token: string, method: string, params: object) =>
        fetch(`${telegram.url}/bot${token}/${method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(params),
        }).then((r) => r.json() as Promise<{ ok: boolean; result: unknown }>);
      const me = await call('42:abc', 'getMe', {});
      assert.equal((me.result as { id: number }).id, 42);
      await call('42:abc', 'setWebhook', { url: 'http://x/tg', secret_token: 's3cret' });
      assert.deepEqual(telegram.webhookOf('42:abc'), { url: 'http://x/tg', secretToken: 's3cret' });
      const waiting = telegram.waitFor((c) => c.method === 'sendMessage', 5000);
      const sent = await call('42:abc', 'sendMessage', { chat_id: 111, text: 'hello' });
      assert.equal((sent.result as { text: string }).text, 'hello');
      assert.equal((await waiting).params['text'], 'hello');
      assert.deepEqual(await call('42:abc', 'setMessageReaction', {}), { ok: true, result: true });
      assert.equal(telegram.callsFor('42:abc').length, 4);
      assert.equal(telegram.callsFor('7:other').length, 0);
      await assert.rejects(
        telegram.waitFor((c) => c.method === 'never', 50),
        /no matching Bot API call/,
      );
    } finally {
      await telegram.close();
    }
  });

  it('plays Telegram: a message to a bot is POSTed to its registered webhook with its secret; revoked and malformed tokens are refused', async () => {
    const telegram = await startFakeTelegram();
    const received: { secret: unknown; body: string }[] = [];
    const webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ secret: req.headers['x-telegram-bot-api-secret-token'], body });
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = webhook.address() as AddressInfo;
      const call = (token: string, method: string, params: object) =>
        fetch(`${telegram.url}/bot${token}/${method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(params),
        });
      await call('42:abc', 'setWebhook', { url: `http://127.0.0.1:${port}/tg/acme`, secret_token: 's3cret' });
      const sent = await fetch(`${telegram.url}/_send`, {
        method: 'POST',
        body: JSON.stringify({ bot: 'fake_42_bot', text: 'hi there' }),
      });
      assert.deepEqual(await sent.json(), { webhookStatus: 200 });
      assert.equal(received.length, 1);
      assert.equal(received[0]!.secret, 's3cret');
      assert.equal((JSON.parse(received[0]!.body) as { message: { text: string } }).message.text, 'hi there');
      assert.equal(
        (await fetch(`${telegram.url}/_send`, { method: 'POST', body: '{"bot":"7"}' })).status,
        404,
      );

      telegram.revoke('42:abc');
      const revoked = await call('42:abc', 'getMe', {});
      assert.equal(revoked.status, 401);
      assert.deepEqual(await revoked.json(), { ok: false, error_code: 401, description: 'Unauthorized' });
      assert.equal((await call('not-a-token', 'getMe', {})).status, 404);
    } finally {
      webhook.close();
      await telegram.close();
    }
  });

  it('builds a Telegram private text-message update', () => {
    const update = telegramUpdate({ updateId: 7, text: 'yo', chatId: 5 }) as {
      update_id: number;
      message: { chat: { id: number }; text: string };
    };
    assert.equal(update.update_id, 7);
    assert.equal(update.message.chat.id, 5);
    assert.equal(update.message.text, 'yo');
  });
});
