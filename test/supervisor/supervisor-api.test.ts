import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SupervisorAgentClient } from '../../runtime/supervisor-client.js';
import { SupervisorCallError } from '../../runtime/errors.js';
import { writeOpenClawFixture } from './openclaw-db-fixture.js';
import { useStandInSupervisors } from './stand-in-supervisors.js';
import { eventually } from './supervisor-process.js';

describe('pod supervisor API with a stand-in OpenClaw child', function () {
  this.timeout(60_000);

  const { launch, secrets, store: workerStore, dir: workDir } = useStandInSupervisors('pod-supervisor');

  it('refuses every route but the probes without the supervisor token, and with a wrong one', async () => {
    const { supervisor, ready } = await launch('auth-tenant', {});
    await ready();
    assert.equal((await supervisor.api('/healthz', { token: null })).status, 200);
    assert.equal(
      (await supervisor.api('/readyz', { token: null })).status,
      200,
      'kubelet probes carry no token',
    );
    for (const [method, path] of [
      ['GET', '/activity'],
      ['POST', '/deliver/telegram'],
      ['POST', '/snapshot'],
      ['POST', '/drain'],
      ['POST', '/v1/chat/completions'],
    ] as const) {
      for (const token of [null, 'wrong-token', `${secrets.supervisorToken}x`]) {
        const response = await supervisor.api(path, {
          method,
          token,
          ...(method === 'POST' ? { body: '{}' } : {}),
        });
        assert.equal(response.status, 401, `${method} ${path} with token ${String(token)}`);
      }
    }
    assert.equal((await supervisor.api('/readyz')).status, 200, 'still serving after the refusals');
  });

  it('acknowledges a delivery only after the durable ack, and reports busy runs, proxied chats and the next scheduled job', async () => {
    const { supervisor, root, ready } = await launch('deliver-tenant', { chatDelayMs: 1_500 });
    await ready();
    const update = JSON.stringify({ update_id: 7, message: { text: 'hi' } });
    const accepted = await supervisor.api('/deliver/telegram', { method: 'POST', body: update });
    assert.equal(accepted.status, 200);
    const stateDir = join(root, 'pod', 'state');
    assert.equal(await readFile(join(stateDir, 'state', 'updates.jsonl'), 'utf8'), `${update}\n`);

    const noAck = JSON.stringify({ update_id: 8, message: { text: 'no-durable-ack' } });
    assert.equal((await supervisor.api('/deliver/telegram', { method: 'POST', body: noAck })).status, 502);
    assert.equal(
      (await supervisor.api('/deliver/telegram', { method: 'POST', body: '{"x":1}' })).status,
      400,
    );

    // What OpenClaw's databases would hold mid-turn (the real ones: supervisor-activity.test.ts).
    const nextRunAtMs = Date.now() + 3_600_000;
    const sessions = [
      { key: 'agent:main:main', status: 'running', updatedAt: Date.now() },
      { key: 'agent:main:other', status: 'done', updatedAt: Date.now() - 60_000 },
    ];
    writeOpenClawFixture(stateDir, { cron: [{ id: 'reminder', nextRunAtMs }], sessions });
    const client = new SupervisorAgentClient({ token: () => secrets.supervisorToken });
    const handle = { podId: 'p', endpoint: supervisor.url };
    const activity = await client.activity(handle);
    assert.deepEqual(activity.nextScheduledAt, new Date(nextRunAtMs).toISOString());
    assert.equal(activity.inFlightRuns, 1, 'one running session');
    assert.ok(activity.lastActiveAt, 'the delivery counts as activity');

    writeOpenClawFixture(stateDir, { sessions: [{ ...sessions[0]!, status: 'done' }] });
    assert.equal((await client.activity(handle)).inFlightRuns, 0);
    const chat = supervisor.api('/v1/chat/completions', { method: 'POST', body: '{"messages":[]}' });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await client.activity(handle)).inFlightRuns, 1, 'a proxied chat counts from its start');
    assert.equal((await chat).status, 200);
    assert.equal((await client.activity(handle)).inFlightRuns, 0, 'and no longer once answered');

    const wrong = new SupervisorAgentClient({ token: () => 'nope' });
    await assert.rejects(wrong.activity(handle), (err: unknown) => {
      return err instanceof SupervisorCallError && err.status === 401;
    });
  });

  it('restarts a crashed gateway with a doubling backoff and becomes ready', async () => {
    const { supervisor, events, ready } = await launch('crash-tenant', { crashBoots: 2 });
    await ready();
    const boots = (await events()).filter((e) => e.name === 'boot').map((e) => e.at);
    const crashes = (await events()).filter((e) => e.name === 'crash').map((e) => e.at);
    assert.equal(boots.length, 3);
    assert.ok(boots[1]! - crashes[0]! >= 300, `first backoff ${boots[1]! - crashes[0]!} ms`);
    assert.ok(boots[2]! - crashes[1]! >= 600, `second backoff ${boots[2]! - crashes[1]!} ms`);
    const status = (await (await supervisor.api('/readyz')).json()) as {
      restarts: number;
      recentCrashes: number;
    };
    assert.equal(status.restarts, 2);
    assert.equal(status.recentCrashes, 2);
  });

  it('reports a crash loop on /readyz and stops restarting instead of spinning', async () => {
    const { supervisor, events } = await launch('loop-tenant', { crashBoots: 99 });
    const status = await eventually(
      async () => {
        const body = (await (await supervisor.api('/readyz')).json()) as { state: string; lastExit: string };
        return body.state === 'crash-loop' ? body : undefined;
      },
      30_000,
      'crash-loop state',
    );
    assert.match(status.lastExit, /code 1/);
    const client = new SupervisorAgentClient({ token: () => secrets.supervisorToken });
    const readiness = await client.readiness({ podId: 'p', endpoint: supervisor.url });
    assert.deepEqual([readiness.ready, readiness.state, readiness.recentCrashes], [false, 'crash-loop', 3]);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await events()).filter((e) => e.name === 'boot').length, 3);
    const deliver = await supervisor.api('/deliver/telegram', { method: 'POST', body: '{"update_id":1}' });
    assert.equal(deliver.status, 503, 'deliveries are refused so the caller retries elsewhere');
  });

  it('on SIGTERM stops the gateway first, then writes the final snapshot, then exits 0', async () => {
    const { supervisor, events, ready } = await launch('drain-tenant', {});
    await ready();
    const update = JSON.stringify({ update_id: 42, message: { text: 'keep me' } });
    assert.equal((await supervisor.api('/deliver/telegram', { method: 'POST', body: update })).status, 200);
    assert.equal(await supervisor.stop(), 0);
    const gatewayExit = (await events()).find((e) => e.name === 'exit');
    assert.ok(gatewayExit, 'the gateway got SIGTERM and exited by itself');
    const store = workerStore();
    const manifest = await store.readManifest('drain-tenant', 1);
    assert.ok(Date.parse(manifest.createdAt) >= gatewayExit.at, 'snapshot taken after the gateway exited');
    const restored = join(workDir(), 'drain-restored');
    await store.restore('drain-tenant', 1, restored);
    assert.equal(await readFile(join(restored, 'state', 'updates.jsonl'), 'utf8'), `${update}\n`);
    assert.deepEqual(
      (await events()).map((e) => e.name),
      ['boot', 'sigterm', 'exit'],
    );
  });

  it('kills a gateway that does not finish draining within the grace, and still writes the final snapshot', async () => {
    const { supervisor, events, ready } = await launch(
      'stuck-tenant',
      { ignoreSigterm: true },
      { shutdownGraceMs: 3_000, snapshotReserveMs: 1_500 },
    );
    await ready();
    const t0 = Date.now();
    assert.equal(await supervisor.stop(), 0);
    const seconds = (Date.now() - t0) / 1000;
    assert.ok(seconds >= 1.4 && seconds < 3, `exited ${seconds} s after SIGTERM, inside the 3 s grace`);
    assert.deepEqual(
      (await events()).map((e) => e.name),
      ['boot', 'sigterm'],
    );
    const store = workerStore();
    assert.equal((await store.readManifest('stuck-tenant', 1)).seq, 1);
  });
});
