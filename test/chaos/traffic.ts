/**
 * The chaos run's users: Telegram delivering updates to a tenant's webhook
 * (the router's real path, with the secret the tenant registered), retried
 * the way Telegram retries (same `update_id`, on any non-2xx or a timeout),
 * and API clients calling chat completions with an Idempotency-Key, retried
 * on 5xx and network errors. Each message carries a unique word the fake
 * model echoes, so its answers can be counted.
 */
import type { WebhookRegistration } from '../../fakes/fake-telegram.js';
import { telegramUpdate } from '../../fakes/fake-telegram.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long a sender keeps retrying one message before giving it up as not accepted. */
const GIVE_UP_MS = 180_000;
const ATTEMPT_TIMEOUT_MS = 30_000;

export interface Delivery {
  readonly word: string;
  readonly channel: 'telegram' | 'chat';
  readonly sentAt: number;
  /** When a 2xx accepted it (undefined: never accepted). */
  acceptedAt?: number;
  attempts: number;
  /** Chat only: the answer's completion id and text, and what a duplicate retry of the same key answered. */
  answer?: { id: string; text: string };
  replayed?: { id: string; text: string };
  /** Chat only: each attempt's outcome and how long it took (where a recovery's seconds went). */
  trail?: string[];
}

/** Retry delay like Telegram's webhook queue: short at first, growing, capped. */
const backoff = (attempt: number) => Math.min(5_000, 500 * 2 ** Math.min(attempt, 4));

export async function deliverUpdate(
  hook: () => WebhookRegistration | undefined,
  updateId: number,
  word: string,
  chatId: number,
): Promise<Delivery> {
  const delivery: Delivery = { word, channel: 'telegram', sentAt: Date.now(), attempts: 0 };
  const body = JSON.stringify(telegramUpdate({ updateId, text: `please repeat ${word}`, chatId }));
  while (Date.now() - delivery.sentAt < GIVE_UP_MS) {
    const registration = hook();
    delivery.attempts++;
    try {
      if (!registration) throw new Error('no webhook registered');
      const response = await fetch(registration.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(registration.secretToken && { 'x-telegram-bot-api-secret-token': registration.secretToken }),
        },
        body,
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      if (response.ok) {
        delivery.acceptedAt = Date.now();
        return delivery;
      }
    } catch {
      // refused, reset or timed out: Telegram tries the same update again
    }
    await sleep(backoff(delivery.attempts));
  }
  return delivery;
}

interface Completion {
  id: string;
  choices: { message: { content: string } }[];
}

export async function chatOnce(
  url: string,
  apiKey: string,
  idempotencyKey: string,
  text: string,
): Promise<{ status: number; retryAfter?: number; answer?: { id: string; text: string } }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      'idempotency-key': idempotencyKey,
    },
    body: JSON.stringify({ model: 'openclaw/default', messages: [{ role: 'user', content: text }] }),
    signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS * 2),
  });
  if (response.status !== 200) {
    await response.arrayBuffer();
    const retryAfter = Number(response.headers.get('retry-after'));
    return { status: response.status, ...(retryAfter > 0 && { retryAfter }) };
  }
  const completion = (await response.json()) as Completion;
  return { status: 200, answer: { id: completion.id, text: completion.choices[0]?.message.content ?? '' } };
}

/**
 * One chat request as a careful client sends it: the same Idempotency-Key on
 * every retry (5xx, network error, timeout), and once it has its answer, one
 * more time as if the answer had been lost on the way: that replay must get
 * the same answer, not a second one.
 */
export async function chatRequest(url: string, apiKey: string, word: string, key: string): Promise<Delivery> {
  const delivery: Delivery = { word, channel: 'chat', sentAt: Date.now(), attempts: 0 };
  const text = `please repeat ${word}`;
  while (Date.now() - delivery.sentAt < GIVE_UP_MS) {
    delivery.attempts++;
    const t0 = Date.now();
    const result = await chatOnce(url, apiKey, key, text).catch(() => ({ status: 0 }) as const);
    (delivery.trail ??= []).push(
      `${result.status || 'network error'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    if (result.status === 200 && 'answer' in result && result.answer) {
      delivery.acceptedAt = Date.now();
      delivery.answer = result.answer;
      const replay = await chatOnce(url, apiKey, key, text).catch(() => undefined);
      if (replay?.answer) delivery.replayed = replay.answer;
      return delivery;
    }
    if (result.status !== 0 && result.status < 500 && result.status !== 429) return delivery; // refused for good (4xx): not accepted
    const retryAfter = 'retryAfter' in result && result.retryAfter ? result.retryAfter * 1000 : 0;
    await sleep(Math.min(5_000, Math.max(retryAfter, backoff(delivery.attempts))));
  }
  return delivery;
}
