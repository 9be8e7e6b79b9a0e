/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- assertions read JSON response bodies */
/**
 * Connecting a Telegram bot through the admin API, with real parts: Temporal
 * dev server and worker (the real activities and telegramWebhookWorkflow;
 * FakeWorld stands in for the runtime only), dynalite, Redis, the real
 * router for the rotation case, and the fake Bot API in place of Telegram.
 */
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { telegramUpdate } from '../../fakes/fake-telegram.js';
import { createRootLogger } from '../../common/logger.js';
import { routerKeyMaterial } from '../../registry/platform-keys.js';
import { SECRET_NAMES } from '../../registry/secret-store.js';
import { buildApp } from '../../router/app.js';
import { RouterMetrics } from '../../router/metrics.js';
import { routerKeysFrom } from '../../router/router-keys.js';
import { hotPathRedis, wireRouterServices } from '../../router/wiring.js';
import { TELEGRAM_ALLOWED_UPDATES } from '../../telegram/registration.js';
import { telegramWebhookWorkflowId } from '../../workflows/shared.js';
import { eventually } from '../supervisor/supervisor-process.js';
import { TEST_SETTINGS } from '../router/router-harness.js';
import { startAdminHarness, uniqueTenantId, type AdminHarness } from './harness.js';

let bots = 0;
/** A fresh bot token (`<bot id>:<secret>`) for each test, like BotFather's. */
const newToken = () => `${700_000 + ++bots}:${uniqueTenantId('tok').replace(/-/g, '_')}`;

describe('admin API: connecting a Telegram bot (real Temporal, router and stores; fake Bot API)', function () {
  this.timeout(120_000);
  let h: AdminHarness;

  before(async () => {
    h = await startAdminHarness();
  });
  after(() => h?.close());

  const create = (tenantId: string, secrets: Record<string, string> = {}) =>
    h.request({ method: 'POST', url: '/v1/tenants', payload: { tenantId, secrets } });
  const putToken = (tenantId: string, value: string) =>
    h.request({
      method: 'PUT',
      url: `/v1/tenants/${tenantId}/secrets/telegram-bot-token`,
      payload: { value },
    });
  const webhookSecretOf = (tenantId: string) =>
    h.deps.secrets.resolve(tenantId, SECRET_NAMES.telegramWebhookSecret);
  /** Every payload and string of a workflow's history, decoded, as one text. */
  const historyText = async (workflowId: string) => {
    const history = await h.env.client.workflow.getHandle(workflowId).fetchHistory();
    const parts: string[] = [];
    const walk = (value: unknown): void => {
      if (value instanceof Uint8Array) parts.push(Buffer.from(value).toString('utf8'));
      else if (typeof value === 'string') parts.push(value);
      else if (value && typeof value === 'object') Object.values(value).forEach(walk);
    };
    walk(history);
    return parts.join('\n');
  };

  it('create with a bot token: getMe, then setWebhook with the tenant’s URL, secret and OpenClaw’s update kinds, while the tenant stays asleep', async () => {
    const tenantId = uniqueTenantId('onb');
    const token = newToken();
    const started = Date.now();
    const response = await create(tenantId, { 'telegram-bot-token': token });
    const tookMs = Date.now() - started;
    assert.equal(response.statusCode, 201, response.body);
    const body = response.json();
    const username = `fake_${token.split(':')[0]}_bot`;
    assert.equal(body.telegram.botUsername, username);
    assert.equal(body.telegram.webhook.state, 'registered');
    assert.equal(body.tenant.telegramBot, username);
    assert.ok(tookMs < 10_000, `onboarding took ${tookMs} ms`);
    console.log(`      onboarding with a bot: ${tookMs} ms to a registered webhook`);

    const [getMe] = h.telegram.callsFor(token, 'getMe');
    const [setWebhook] = h.telegram.callsFor(token, 'setWebhook');
    assert.ok(getMe && setWebhook && getMe.at <= setWebhook.at, 'getMe, then setWebhook');
    assert.equal(setWebhook.params['url'], `${h.publicUrl}/tg/${tenantId}`);
    assert.equal(setWebhook.params['secret_token'], await webhookSecretOf(tenantId));
    assert.deepEqual(setWebhook.params['allowed_updates'], TELEGRAM_ALLOWED_UPDATES);

    assert.equal((await h.deps.tenants.describe(tenantId)).phase, 'asleep');
    assert.equal(h.world.count('launch'), 0, 'nothing was woken');
    assert.equal((await h.deps.registry.get(tenantId))?.telegramBot?.username, username);
    assert.ok(!response.body.includes(token.split(':')[1]!), 'the token is never echoed');
    const history = await historyText(telegramWebhookWorkflowId(tenantId));
    assert.ok(history.includes(`/tg/${tenantId}`), 'the history was read');
    for (const secret of [token.split(':')[1]!, await webhookSecretOf(tenantId)])
      assert.ok(
        !history.includes(secret),
        'neither the token nor the webhook secret enters Temporal history',
      );
  });

  it('tenant get shows the connection as Telegram reports it, and never the secret or the token', async () => {
    const tenantId = uniqueTenantId('get');
    const token = newToken();
    assert.equal((await create(tenantId, { 'telegram-bot-token': token })).statusCode, 201);
    h.telegram.setDeliveryState(token, { pendingUpdateCount: 3, lastErrorMessage: 'Connection timed out' });
    const response = await h.request({ method: 'GET', url: `/v1/tenants/${tenantId}` });
    assert.equal(response.statusCode, 200, response.body);
    const { telegram } = response.json();
    assert.equal(telegram.botUsername, `fake_${token.split(':')[0]}_bot`);
    assert.equal(telegram.webhookUrl, `${h.publicUrl}/tg/${tenantId}`);
    assert.equal(telegram.registeredUrl, telegram.webhookUrl);
    assert.equal(telegram.matches, true);
    assert.equal(telegram.pendingUpdateCount, 3);
    assert.equal(telegram.lastErrorMessage, 'Connection timed out');
    assert.equal(telegram.error, null);
    const secret = await webhookSecretOf(tenantId);
    assert.ok(!response.body.includes(secret), 'no webhook secret');
    assert.ok(!response.body.includes(token.split(':')[1]!), 'no bot token');

    // Someone pointed the bot elsewhere by hand: the registration no longer matches.
    await fetch(`${h.telegram.url}/bot${token}/setWebhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'https://elsewhere.test/hook' }),
    });
    const drifted = (await h.request({ method: 'GET', url: `/v1/tenants/${tenantId}` })).json();
    assert.equal(drifted.telegram.matches, false);
    assert.equal(drifted.telegram.registeredUrl, 'https://elsewhere.test/hook');
    const plain = (await h.request({ method: 'GET', url: `/v1/tenants/${await h.createTenant()}` })).json();
    assert.equal(plain.telegram, null, 'no bot token, no connection');
  });

  it('a tenant with Telegram switched off gets no webhook, as its agent runs no Telegram listener', async () => {
    const tenantId = uniqueTenantId('off');
    const token = newToken();
    const response = await h.request({
      method: 'POST',
      url: '/v1/tenants',
      payload: {
        tenantId,
        channels: { telegram: { enabled: false } },
        secrets: { 'telegram-bot-token': token },
      },
    });
    assert.equal(response.statusCode, 201, response.body);
    assert.equal(response.json().telegram.webhook.state, 'none');
    assert.equal(h.telegram.callsFor(token, 'setWebhook').length, 0);
  });

  it('a token Telegram refuses (401 at getMe) is a 422 and nothing is stored, at create and at put', async () => {
    const revoked = newToken();
    h.telegram.revoke(revoked);
    const tenantId = uniqueTenantId('bad');
    const refused = await create(tenantId, { 'telegram-bot-token': revoked });
    assert.equal(refused.statusCode, 422, refused.body);
    assert.equal(refused.json().code, 'TELEGRAM_TOKEN_INVALID');
    assert.match(refused.json<{ detail: string }>().detail, /401 Unauthorized/);
    assert.equal(await h.deps.registry.get(tenantId), null, 'no record');
    assert.deepEqual(await h.deps.secrets.list(tenantId), [], 'no secrets');
    assert.equal(h.telegram.callsFor(revoked, 'setWebhook').length, 0);

    const existing = await h.createTenant();
    for (const value of [revoked, 'not a token']) {
      const put = await putToken(existing, value);
      assert.equal(put.statusCode, 422, put.body);
      assert.equal(await h.deps.secrets.resolveIfPresent(existing, SECRET_NAMES.telegramBotToken), null);
    }
    assert.equal((await h.deps.registry.get(existing))?.telegramBot ?? null, null);
  });

  it('replacing the bot token deletes the old bot’s webhook and registers the new one; removing it deletes that one', async () => {
    const tenantId = uniqueTenantId('swap');
    const [oldToken, newBot] = [newToken(), newToken()];
    assert.equal((await create(tenantId, { 'telegram-bot-token': oldToken })).statusCode, 201);
    assert.ok(h.telegram.webhookOf(oldToken));

    const put = await putToken(tenantId, newBot);
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json().webhook.state, 'registered');
    assert.equal(h.telegram.callsFor(oldToken, 'deleteWebhook').length, 1, 'the old bot lets go');
    assert.equal(h.telegram.webhookOf(oldToken), undefined);
    assert.equal(h.telegram.webhookOf(newBot)?.url, `${h.publicUrl}/tg/${tenantId}`);
    assert.equal(h.telegram.callsFor(newBot, 'deleteWebhook').length, 0);
    assert.equal(
      (await h.deps.registry.get(tenantId))?.telegramBot?.username,
      `fake_${newBot.split(':')[0]}_bot`,
    );
    assert.ok(
      !(await h.deps.secrets.list(tenantId)).some((n) => n.startsWith('telegram-bot-token-replaced')),
      'the replaced token is not kept once its webhook is gone',
    );

    const removed = await h.request({
      method: 'DELETE',
      url: `/v1/tenants/${tenantId}/secrets/telegram-bot-token`,
    });
    assert.equal(removed.statusCode, 204, removed.body);
    assert.equal(h.telegram.callsFor(newBot, 'deleteWebhook').length, 1);
    assert.equal(h.telegram.webhookOf(newBot), undefined);
    assert.equal((await h.deps.registry.get(tenantId))?.telegramBot, null);
  });

  it('offboarding, once the grace period is over, deletes the bot’s webhook', async () => {
    const tenantId = uniqueTenantId('off');
    const token = newToken();
    assert.equal((await create(tenantId, { 'telegram-bot-token': token })).statusCode, 201);
    const offboard = await h.request({ method: 'DELETE', url: `/v1/tenants/${tenantId}?graceDays=0` });
    assert.equal(offboard.statusCode, 202, offboard.body);
    await eventually(
      async () => ((await h.deps.registry.get(tenantId)) === null ? true : undefined),
      30_000,
      'the tenant to be deleted',
    );
    assert.equal(h.telegram.callsFor(token, 'deleteWebhook').length, 1);
    assert.equal(h.telegram.webhookOf(token), undefined, 'Telegram no longer calls a deleted tenant');
  });

  describe('webhook secret rotation through the real router', () => {
    let router: FastifyInstance;
    let closeRedis: () => void;

    before(async () => {
      const redis = hotPathRedis(h.redisUrl);
      await redis.connect();
      closeRedis = () => redis.disconnect();
      const { doc, tables } = h.dynamo;
      const keys = routerKeysFrom(await routerKeyMaterial({ doc, tables, masterKey: h.masterKey }));
      const { services, limits } = wireRouterServices({
        redis,
        temporal: h.env.client,
        doc,
        tables,
        keys,
        logger: createRootLogger({ level: 'silent', name: 'router' }),
        settings: { ...TEST_SETTINGS, temporal: { taskQueue: h.taskQueue } },
        metrics: new RouterMetrics(),
      });
      router = await buildApp({
        logger: createRootLogger({ level: 'silent', name: 'router' }),
        readiness: {},
        redis,
        services,
        limits,
      });
    });
    after(async () => {
      await router?.close();
      closeRedis?.();
    });

    const post = async (tenantId: string, secret: string, updateId: number) =>
      (
        await router.inject({
          method: 'POST',
          url: `/tg/${tenantId}`,
          headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
          payload: JSON.stringify(telegramUpdate({ updateId, text: `u${updateId}` })),
        })
      ).statusCode;

    it('the new secret is registered at once; Telegram’s updates are never refused while it switches; then the old secret is', async () => {
      const tenantId = uniqueTenantId('rot');
      const token = newToken();
      assert.equal((await create(tenantId, { 'telegram-bot-token': token })).statusCode, 201);
      const oldSecret = h.telegram.webhookOf(token)!.secretToken!;
      // Telegram: one update after another, each with the secret it holds when it sends; and one update that
      // left with the old secret just before the switch and arrives just after it.
      let sending = true;
      let updateId = 1;
      const refused: string[] = [];
      const telegram = (async () => {
        while (sending) {
          const id = updateId++;
          const held = h.telegram.webhookOf(token)!.secretToken!;
          const status = await post(tenantId, held, id);
          if (status !== 200) refused.push(`${id}: ${status} (${held === oldSecret ? 'old' : 'new'} secret)`);
        }
      })();
      const rotated = await h.request({
        method: 'POST',
        url: `/v1/tenants/${tenantId}/secrets/rotate`,
        payload: { webhookSecret: true },
      });
      assert.equal(rotated.statusCode, 200, rotated.body);
      assert.equal(rotated.json().webhook.state, 'registered');
      const newSecret = await webhookSecretOf(tenantId);
      assert.notEqual(newSecret, oldSecret);
      assert.equal(h.telegram.webhookOf(token)?.secretToken, newSecret, 'registered at once, no wake');
      // An update that left with the old secret before the switch and arrives a moment after it.
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal(await post(tenantId, oldSecret, updateId++), 200, 'a late update with the old secret');
      sending = false;
      await telegram;
      assert.deepEqual(refused, [], 'no update Telegram sent was refused');
      assert.ok(updateId > 5, `Telegram kept sending (${updateId - 1} updates)`);

      // After the grace (4 s here, 60 s by default) only the registered secret opens the tenant.
      await eventually(
        async () => ((await post(tenantId, oldSecret, updateId++)) === 401 ? true : undefined),
        20_000,
        'the old secret to be refused',
      );
      assert.equal(await post(tenantId, newSecret, updateId++), 200);
      assert.equal((await h.deps.registry.get(tenantId))?.webhookSecretHashes.length, 1);
    });

    it('a suspended tenant keeps its webhook: the router answers 403 and Telegram keeps the updates', async () => {
      const tenantId = uniqueTenantId('sus');
      const token = newToken();
      assert.equal((await create(tenantId, { 'telegram-bot-token': token })).statusCode, 201);
      const secret = h.telegram.webhookOf(token)!.secretToken!;
      const suspend = await h.request({
        method: 'POST',
        url: `/v1/tenants/${tenantId}/suspend`,
        payload: { reason: 'unpaid' },
      });
      assert.equal(suspend.statusCode, 200, suspend.body);
      assert.equal(await post(tenantId, secret, 1), 403);
      assert.equal(h.telegram.callsFor(token, 'deleteWebhook').length, 0);
      assert.ok(h.telegram.webhookOf(token), 'still registered');
    });
  });
});
