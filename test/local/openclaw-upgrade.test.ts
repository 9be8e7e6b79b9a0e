/**
 * One real OpenClaw upgrade end to end: two versions installed side by side
 * in the install cache, a tenant woken on the older one, given the newer one
 * the way a fleet rollout applies it (`configure`, taking effect at the next
 * wake), put to sleep, and woken on the newer one by its next message, which
 * OpenClaw answers with the conversation the older version wrote (restored
 * from the snapshot) in the model's context.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { loadConfig } from '../../common/config.js';
import { ensureOpenClaw, PINNED_OPENCLAW } from '../../dev/openclaw-install.js';
import { telegramUpdate } from '../../fakes/telegram-update.js';
import { eventually } from '../supervisor/supervisor-process.js';
import { startFleet, type Fleet } from './fleet.js';

/** The release before the pinned one: what a fleet runs before it is upgraded to the pin. */
const OLD = '2026.9.5';
const NEW = PINNED_OPENCLAW;
const TENANT = 'upgrade-e2e';

describe('a real OpenClaw upgrade: a tenant woken on the old version, then on the new one, its conversation intact', function () {
  // One install (~20 s when not cached), two cold starts of real OpenClaw (9–22 s each, more under load).
  this.timeout(900_000);

  let fleet: Fleet;
  let botToken: string;
  let nextUpdateId = 9000;

  const send = (text: string) => {
    const updateId = nextUpdateId++;
    return fleet.tenants.deliver(TENANT, {
      channel: 'telegram',
      dedupeId: String(updateId),
      receivedAt: new Date().toISOString(),
      body: JSON.stringify(telegramUpdate({ updateId, text })),
    });
  };
  const replied = (text: string) =>
    fleet.telegram.waitFor(
      (c) =>
        c.token === botToken &&
        c.method === 'sendMessage' &&
        String(c.params['text']).includes(`echo: ${text}`),
      300_000,
    );
  /** The OpenClaw install the tenant's processes run from (their command lines name it). */
  const runningVersions = async () => {
    const versions = new Set<string>();
    for (const pid of await fleet.tenantProcesses(TENANT)) {
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      for (const match of cmdline.matchAll(/openclaw-(\d{4}\.\d+\.\d+)\//g)) versions.add(match[1]!);
    }
    return [...versions];
  };

  before(async () => {
    // Side by side with the pinned version (startFleet installs that one), as a rollout's install step does.
    await ensureOpenClaw({ cacheDir: loadConfig({}).common.cacheDir, version: OLD });
    fleet = await startFleet({ capacity: 1 });
    ({ botToken } = await fleet.registerTenant(TENANT));
    await fleet.tenants.ensureStarted(TENANT, { openclawVersion: OLD, idleTimeout: '10m' });
  });

  after(async () => {
    await fleet?.stop();
  });

  it('answers on the old version, sleeps, wakes on the new one and remembers', async () => {
    await send('remember the word pineapple');
    await replied('remember the word pineapple');
    assert.deepEqual(await runningVersions(), [OLD], 'the first wake ran the old version');
    const first = await fleet.tenants.describe(TENANT);

    // What the rollout's apply step does for each tenant: the version for its next wake.
    const settings = await fleet.tenants.configure(TENANT, { openclawVersion: NEW });
    assert.equal(settings.openclawVersion, NEW);
    assert.deepEqual(await runningVersions(), [OLD], 'an awake tenant keeps its version until it sleeps');
    await fleet.tenants.sleep(TENANT);
    await eventually(
      async () => ((await fleet.tenants.describe(TENANT)).phase === 'asleep' ? true : undefined),
      120_000,
      'asleep',
    );
    const latest = await fleet.registry.getTenant(TENANT);
    assert.ok(latest?.latestSnapshotSeq, 'the old version left a snapshot');

    const turnsBefore = fleet.llm.completions().length;
    await send('which word did I ask you to remember?');
    await replied('which word did I ask you to remember?');
    assert.deepEqual(await runningVersions(), [NEW], 'the second wake ran the new version');
    const second = await fleet.tenants.describe(TENANT);
    assert.ok(second.generation > first.generation, 'a new pod');

    // The new version's turn carried the old version's conversation to the model.
    const turn = fleet.llm.completions().slice(turnsBefore).at(-1);
    assert.ok(turn, 'the new version called the model');
    const context = JSON.stringify(turn.body?.messages ?? []);
    assert.match(context, /remember the word pineapple/, 'the earlier exchange is in the context');
  });
});
