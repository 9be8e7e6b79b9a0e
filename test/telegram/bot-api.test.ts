/**
 * The control plane's Bot API client against the fake Bot API (which answers
 * like the real one: 401 for a revoked token, 404 for a malformed one), and a
 * Bot API that does not answer at all.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { startFakeTelegram, type FakeTelegram } from '../../fakes/fake-telegram.js';
import { TelegramApiError, TelegramBotApi, TelegramUnavailableError } from '../../telegram/bot-api.js';
import { TELEGRAM_ALLOWED_UPDATES } from '../../telegram/registration.js';

describe('Telegram Bot API client (against the fake Bot API)', () => {
  let telegram: FakeTelegram;
  let api: TelegramBotApi;
  const token = '5150:valid-secret-part';

  before(async () => {
    telegram = await startFakeTelegram();
    api = new TelegramBotApi({ apiRoot: `${telegram.url}/` });
  });
  after(() => telegram?.close());

  it('getMe names the bot; setWebhook, getWebhookInfo and deleteWebhook speak the real parameters', async () => {
    assert.deepEqual(await api.getMe(token), { id: 5150, username: 'fake_5150_bot', firstName: 'Fake Bot' });
    await api.setWebhook(token, {
      url: 'https://router.test/tg/acme',
      secretToken: 's3cret',
      allowedUpdates: TELEGRAM_ALLOWED_UPDATES,
    });
    assert.deepEqual(telegram.webhookOf(token), {
      url: 'https://router.test/tg/acme',
      secretToken: 's3cret',
      allowedUpdates: TELEGRAM_ALLOWED_UPDATES,
    });
    telegram.setDeliveryState(token, { pendingUpdateCount: 2, lastErrorMessage: 'Read timeout expired' });
    const info = await api.getWebhookInfo(token);
    assert.equal(info.url, 'https://router.test/tg/acme');
    assert.equal(info.pendingUpdateCount, 2);
    assert.equal(info.lastErrorMessage, 'Read timeout expired');
    assert.deepEqual(info.allowedUpdates, TELEGRAM_ALLOWED_UPDATES);
    await api.deleteWebhook(token);
    assert.equal(telegram.webhookOf(token), undefined);
    assert.equal((await api.getWebhookInfo(token)).url, '');
  });

  it('a revoked token is a TelegramApiError 401 whose message never holds the token', async () => {
    const revoked = '5151:revoked-secret-part';
    telegram.revoke(revoked);
    const error = await api.getMe(revoked).then(
      () => assert.fail('a revoked token was accepted'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof TelegramApiError);
    assert.equal(error.errorCode, 401);
    assert.ok(error.tokenRejected);
    assert.match(error.message, /getMe failed: 401 Unauthorized/);
    assert.ok(
      !error.message.includes('revoked-secret-part') && !String(error.stack).includes('revoked-secret'),
    );
  });

  it('a malformed token is refused before any request (it never becomes part of a URL)', async () => {
    const before = telegram.calls.length;
    for (const bad of ['no-colon', '12:has/slash', '12:../../x', '']) {
      await assert.rejects(
        api.getMe(bad),
        (e: unknown) => e instanceof TelegramApiError && e.errorCode === 404,
      );
    }
    assert.equal(telegram.calls.length, before);
  });

  it('a Bot API that does not answer is TelegramUnavailableError (retryable), after the timeout', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const slow = new TelegramBotApi({ apiRoot: `http://127.0.0.1:${port}`, timeoutMs: 200 });
      await assert.rejects(slow.getMe(token), TelegramUnavailableError);
      const refused = new TelegramBotApi({ apiRoot: 'http://127.0.0.1:9' });
      await assert.rejects(refused.deleteWebhook(token), TelegramUnavailableError);
    } finally {
      silent.close();
    }
  });
});
