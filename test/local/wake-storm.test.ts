/**
 * A burst of wakes larger than the host: capacity 2, five tenants woken at
 * once by Telegram updates and chat requests (both through the real router,
 * retried the way Telegram and clients retry). The runtime only reports that
 * it is full; each waiting workflow asks the least recently active idle
 * tenant to sleep. Before this design, probes of every awake tenant piled up
 * OpenClaw CLI processes until the kernel killed the worker.
 */
import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { userTexts } from '../../fakes/fake-llm.js';
import { telegramUpdate } from '../../fakes/fake-telegram.js';
import { BYTES_PER_TENANT } from '../../runtime/capacity-gate.js';
import { openCredentialHasher } from '../../registry/platform-keys.js';
import { TenantCredentials } from '../../registry/credentials.js';
import { eventually } from '../supervisor/supervisor-process.js';
import { startFleet, type Fleet } from './fleet.js';
import { startFleetRouter, type FleetRouter } from './fleet-router.js';

const CAPACITY = 2;
/** The warm supervisor, Node's own processes and a drain overlapping a start: a fixed allowance. */
const MARGIN_BYTES = 1024 ** 3;

async function rssOf(pids: number[]): Promise<number> {
  const sizes = await Promise.all(
    pids.map(async (pid) => {
      const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    }),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

describe('a wake storm: five tenants woken at once on a host with room for two', function () {
  this.timeout(900_000);
  let fleet: Fleet;
  let router: FleetRouter;
  const tenants = ['storm-a', 'storm-b', 'storm-c', 'storm-d', 'storm-e'];
  const telegramTenants = tenants.slice(0, 3);
  const chatTenants = tenants.slice(3);
  const secrets = new Map<string, { botToken: string; webhookSecret: string; apiKey?: string }>();
  let peakRss = 0;
  let sampler: NodeJS.Timeout | undefined;

  before(async function () {
    fleet = await startFleet({ capacity: CAPACITY, settings: { local: { capacityWait: '5s' } } });
    router = await startFleetRouter(fleet);
    const { doc, tables } = fleet.dynamo;
    const hasher = await openCredentialHasher({ doc, tables, masterKey: fleet.masterKey });
    const credentials = new TenantCredentials({ registry: fleet.registry, secrets: fleet.secrets, hasher });
    for (const tenantId of tenants) {
      const registered = await fleet.registerTenant(tenantId);
      const apiKey = chatTenants.includes(tenantId)
        ? (await credentials.issueApiKey(tenantId)).apiKey
        : undefined;
      secrets.set(tenantId, { ...registered, ...(apiKey ? { apiKey } : {}) });
    }
    sampler = setInterval(() => {
      void fleet
        .runtimeProcesses()
        .then(rssOf)
        .then((rss) => (peakRss = Math.max(peakRss, rss)));
    }, 500);
  });

  after(async function () {
    clearInterval(sampler);
    await router?.close();
    await fleet?.stop();
  });

  /** Telegram retries any non-2xx; the router answers 200 once Temporal holds the update. */
  async function telegram(tenantId: string, updateId: number, text: string): Promise<void> {
    const { webhookSecret } = secrets.get(tenantId)!;
    for (;;) {
      const response = await router.telegram(tenantId, webhookSecret, telegramUpdate({ updateId, text }));
      if (response.status === 200) return;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }

  /** A chat client retrying on 503 after `Retry-After`, as the router asks it to. */
  async function chat(tenantId: string, text: string): Promise<string> {
    const deadline = Date.now() + 600_000;
    for (;;) {
      const response = await fetch(`${router.url}/v1/tenants/${tenantId}/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${secrets.get(tenantId)!.apiKey}`,
        },
        body: JSON.stringify({
          model: 'openclaw/default',
          user: 'storm',
          messages: [{ role: 'user', content: text }],
        }),
      });
      const body = await response.text();
      if (response.status === 200) return body;
      assert.equal(response.status, 503, `chat for ${tenantId}: ${response.status} ${body.slice(0, 200)}`);
      assert.ok(Date.now() < deadline, `chat for ${tenantId} never answered`);
      await new Promise((r) =>
        setTimeout(r, Math.min(5, Number(response.headers.get('retry-after') ?? 2)) * 1000),
      );
    }
  }

  /** On a timeout, every tenant's phase and reason go into the failure: what the Web UI would show. */
  const telegramAnswered = (tenantId: string, text: string) =>
    fleet.telegram
      .waitFor(
        (c) =>
          c.token === secrets.get(tenantId)!.botToken &&
          c.method === 'sendMessage' &&
          String(c.params['text']).includes(`echo: ${text}`),
        600_000,
      )
      .catch(async (error: unknown) => {
        const described = await Promise.all(tenants.map((t) => fleet.tenants.describe(t).catch(() => null)));
        const lines = described.map((d, i) => `${tenants[i]}: ${d?.phase} (${d?.reason ?? 'no reason'})`);
        throw new Error(`${tenantId} not answered: ${String(error)}\n${lines.join('\n')}`);
      });

  it('answers every message, puts idle tenants to sleep to make room, and stays within memory', async function () {
    const started = Date.now();
    const answered = await Promise.all([
      ...telegramTenants.map(async (tenantId, i) => {
        await telegram(tenantId, 9000 + i, `storm hello ${tenantId}`);
        await telegramAnswered(tenantId, `storm hello ${tenantId}`);
        return tenantId;
      }),
      ...chatTenants.map(async (tenantId) => {
        const body = await chat(tenantId, `storm hello ${tenantId}`);
        assert.match(body, new RegExp(`echo: storm hello ${tenantId}`));
        return tenantId;
      }),
    ]);
    console.log(
      `      all 5 answered ${((Date.now() - started) / 1000).toFixed(1)} s after the burst; peak RSS ${(peakRss / 1024 ** 3).toFixed(2)} GB`,
    );
    assert.deepEqual(answered.sort(), [...tenants].sort());
    assert.ok(
      peakRss <= CAPACITY * BYTES_PER_TENANT + MARGIN_BYTES,
      `peak RSS ${(peakRss / 1024 ** 3).toFixed(2)} GB over ${CAPACITY} × ${(BYTES_PER_TENANT / 1024 ** 3).toFixed(2)} GB + 1 GB`,
    );
  });

  it('the evicted tenants slept with their state kept, said why, and left no process behind', async function () {
    const described = await Promise.all(tenants.map((t) => fleet.tenants.describe(t)));
    const evicted = described.filter((d) => d.phase === 'asleep');
    assert.ok(
      evicted.length >= tenants.length - CAPACITY,
      `asleep: ${evicted.map((d) => d.tenantId).join(', ')}`,
    );
    for (const d of evicted) {
      assert.match(
        d.reason ?? '',
        /make room: host full and storm-[a-e] is waking/,
        `${d.tenantId}: ${d.reason}`,
      );
      assert.ok(d.lastSnapshot, `${d.tenantId} has its drain snapshot recorded`);
      const record = await fleet.registry.get(d.tenantId);
      assert.equal(record?.latestSnapshotSeq, d.lastSnapshot.seq, `${d.tenantId}: the pointer names it`);
      assert.deepEqual(await fleet.tenantProcesses(d.tenantId), [], `${d.tenantId} left processes behind`);
    }
    // One evicted Telegram tenant wakes again and still has its earlier turn (the fake model sees it).
    const again = evicted.find((d) => telegramTenants.includes(d.tenantId));
    assert.ok(again, 'a Telegram tenant was among the evicted');
    await telegram(again.tenantId, 9100, `second ${again.tenantId}`);
    await telegramAnswered(again.tenantId, `second ${again.tenantId}`);
    const sawEarlier = fleet.llm.completions().some((r) => {
      const texts = userTexts(r.body?.messages ?? []).join('\n');
      return texts.includes(`storm hello ${again.tenantId}`) && texts.includes(`second ${again.tenantId}`);
    });
    assert.ok(sawEarlier, 'the turn before the eviction was still in the conversation');
    await eventually(
      async () => ((await fleet.runtimeProcesses()).length <= CAPACITY * 8 + 4 ? true : undefined),
      30_000,
      'no more processes than the awake tenants and the warm supervisor',
    );
  });
});
