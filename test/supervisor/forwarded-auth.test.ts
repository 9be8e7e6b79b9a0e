/**
 * The supervisor's side of the router's signed forwards (supervisor/http-api.ts with
 * supervisor/forward-auth.ts; app.inject, a stand-in Supervisor object): what a
 * signature opens, for whom, for how long, and how often.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import {
  deriveTenantForwardKey,
  forwardAuthorization,
  forwardKeyObject,
  type ForwardedRequest,
} from '../../common/forward-signature.js';
import { ForwardAuth } from '../../supervisor/forward-auth.js';
import { buildSupervisorApp } from '../../supervisor/http-api.js';
import type { Supervisor } from '../../supervisor/supervisor.js';
import { parseSpec, secretsFromValues } from '../../supervisor/supervisor-config.js';

const ROOT = randomBytes(32);
const TOKEN = 'worker-supervisor-token';
const keyOf = (tenantId: string) => deriveTenantForwardKey(ROOT, tenantId);
const update = (id: number) => JSON.stringify({ update_id: id, message: { text: 'hi' } });

/** A supervisor app for `tenantId`'s pod `podId`, recording what reached the agent. */
function supervisorOf(tenantId: string, podId: string, now?: () => number) {
  const delivered: string[] = [];
  const supervisor = {
    deliverTelegram: (body: string) => Promise.resolve(void delivered.push(body)),
    // Not serving (stopped, so a chat turn does not wait for it): a chat request that passes authentication is
    // 503, one that does not is 401.
    status: () => ({ state: 'stopped', draining: false }),
    isDraining: false,
    activity: () => ({}),
    snapshot: () => Promise.resolve({}),
    drain: () => Promise.resolve({}),
  } as unknown as Supervisor;
  const forwarded = new ForwardAuth({ key: keyOf(tenantId), tenantId, podId, ...(now && { now }) });
  const app = buildSupervisorApp({
    supervisor,
    supervisorToken: TOKEN,
    forwarded,
    logger: pino({ level: 'silent' }),
  });
  return { app, delivered };
}

/** What the router sends for one forward (router/forward-signer.ts does the same). */
function signed(request: Omit<ForwardedRequest, 'method'>, now?: number) {
  const key = forwardKeyObject(keyOf(request.tenantId));
  return forwardAuthorization(key, { method: 'POST', ...request }, now === undefined ? {} : { now });
}

const post = (
  target: ReturnType<typeof supervisorOf>,
  path: string,
  authorization: string,
  body: string,
  sessionKey?: string,
) =>
  target.app.inject({
    method: 'POST',
    url: path,
    headers: {
      authorization,
      'content-type': 'application/json',
      ...(sessionKey !== undefined && { 'x-openclaw-session-key': sessionKey }),
    },
    payload: body,
  });

describe('supervisor: the router’s signed forwards', () => {
  it('a forward signed for tenant A’s pod is accepted there once; tenant B’s supervisor and A’s next generation refuse it', async () => {
    const podA1 = supervisorOf('tenant-a', 'tenant-a-1');
    const podA2 = supervisorOf('tenant-a', 'tenant-a-2');
    const podB1 = supervisorOf('tenant-b', 'tenant-b-1');
    const body = update(1);
    const auth = signed({ path: '/deliver/telegram', tenantId: 'tenant-a', podId: 'tenant-a-1', body });
    // A stale endpoint: the same request reaches whatever listens there now.
    assert.equal((await post(podB1, '/deliver/telegram', auth, body)).statusCode, 401, 'another tenant');
    assert.equal((await post(podA2, '/deliver/telegram', auth, body)).statusCode, 401, 'the next generation');
    assert.equal((await post(podA1, '/deliver/telegram', auth, body)).statusCode, 200, 'the pod it was for');
    assert.deepEqual(podA1.delivered, [body]);
    assert.equal((await post(podA1, '/deliver/telegram', auth, body)).statusCode, 401, 'a replay');
    assert.deepEqual([podA1.delivered.length, podA2.delivered.length, podB1.delivered.length], [1, 0, 0]);
  });

  it('a signature outside the 30 s window is refused, whichever side of the clock it is on', async () => {
    const pod = supervisorOf('tenant-a', 'tenant-a-1');
    const body = update(2);
    const request = { path: '/deliver/telegram', tenantId: 'tenant-a', podId: 'tenant-a-1', body };
    for (const skew of [-31_000, 31_000])
      assert.equal(
        (await post(pod, '/deliver/telegram', signed(request, Date.now() + skew), body)).statusCode,
        401,
      );
    assert.equal(
      (await post(pod, '/deliver/telegram', signed(request, Date.now() - 20_000), body)).statusCode,
      200,
    );
    assert.deepEqual(pod.delivered, [body]);
  });

  it('an old signature replayed after its window is refused even by a supervisor that never saw it', async () => {
    let clock = Date.now();
    const pod = supervisorOf('tenant-a', 'tenant-a-1', () => clock);
    const body = update(3);
    const auth = signed(
      { path: '/deliver/telegram', tenantId: 'tenant-a', podId: 'tenant-a-1', body },
      clock,
    );
    clock += 30_001;
    assert.equal((await post(pod, '/deliver/telegram', auth, body)).statusCode, 401);
    assert.deepEqual(pod.delivered, []);
  });

  it('a leaked signature is useless for another body, path or session key', async () => {
    const pod = supervisorOf('tenant-a', 'tenant-a-1');
    const body = update(4);
    const base = { tenantId: 'tenant-a', podId: 'tenant-a-1', body };
    const telegram = signed({ ...base, path: '/deliver/telegram' });
    assert.equal((await post(pod, '/deliver/telegram', telegram, update(5))).statusCode, 401, 'other body');
    assert.equal((await post(pod, '/v1/chat/completions', telegram, body)).statusCode, 401, 'other path');
    const chat = signed({ ...base, path: '/v1/chat/completions', sessionKey: 'agent:main:a' });
    assert.equal((await post(pod, '/v1/chat/completions', chat, body, 'agent:main:b')).statusCode, 401);
    assert.equal(
      (await post(pod, '/v1/chat/completions', chat, body)).statusCode,
      401,
      'session key dropped',
    );
    // The genuine request passes authentication (503: this stand-in's gateway is not ready).
    assert.equal((await post(pod, '/v1/chat/completions', chat, body, 'agent:main:a')).statusCode, 503);
    assert.deepEqual(pod.delivered, []);
  });

  it('a signature opens only the two forwarded routes; the worker’s bearer token still opens every route', async () => {
    const pod = supervisorOf('tenant-a', 'tenant-a-1');
    for (const path of ['/snapshot', '/drain']) {
      const auth = signed({ path, tenantId: 'tenant-a', podId: 'tenant-a-1', body: '{}' });
      assert.equal((await post(pod, path, auth, '{}')).statusCode, 401, path);
    }
    const auth = signed({ path: '/activity', tenantId: 'tenant-a', podId: 'tenant-a-1', body: '' });
    const activity = await pod.app.inject({
      method: 'GET',
      url: '/activity',
      headers: { authorization: auth },
    });
    assert.equal(activity.statusCode, 401);
    assert.equal((await post(pod, '/deliver/telegram', `Bearer ${TOKEN}`, update(6))).statusCode, 200);
    const bearerActivity = await pod.app.inject({
      method: 'GET',
      url: '/activity',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(bearerActivity.statusCode, 200);
  });

  it('without a forwarding key the supervisor takes the bearer token only', async () => {
    const supervisor = { deliverTelegram: () => Promise.resolve() } as unknown as Supervisor;
    const app = buildSupervisorApp({ supervisor, supervisorToken: TOKEN, logger: pino({ level: 'silent' }) });
    const body = update(7);
    const auth = signed({ path: '/deliver/telegram', tenantId: 'tenant-a', podId: 'tenant-a-1', body });
    const response = await app.inject({
      method: 'POST',
      url: '/deliver/telegram',
      headers: { authorization: auth, 'content-type': 'application/json' },
      payload: body,
    });
    assert.equal(response.statusCode, 401);
  });

  it('a full nonce table refuses rather than forgets, and frees up as signatures leave the window', () => {
    let clock = Date.now();
    const auth = new ForwardAuth({
      key: keyOf('tenant-a'),
      tenantId: 'tenant-a',
      podId: 'tenant-a-1',
      maxNonces: 2,
      now: () => clock,
    });
    const request = { method: 'POST', path: '/deliver/telegram', body: update(8) };
    const header = () => signed({ ...request, tenantId: 'tenant-a', podId: 'tenant-a-1' }, clock);
    assert.deepEqual([auth.accept(header(), request), auth.accept(header(), request)], [true, true]);
    assert.equal(auth.accept(header(), request), false, 'full: refused, not an older nonce forgotten');
    clock += 30_001;
    assert.equal(auth.accept(header(), request), true);
  });

  it('a spec with a forwarding key must name its pod', () => {
    const spec = parseSpec({
      tenantId: 'tenant-a',
      listen: { host: '127.0.0.1', port: 9000 },
      gateway: { host: '127.0.0.1', port: 9001 },
      rootDir: '/tmp/x',
      openclaw: { version: '1', node: 'node', entry: 'x.mjs' },
      provider: { name: 'openai', baseUrl: 'http://x', modelId: 'm' },
    });
    const secrets = {
      supervisorToken: 't',
      gatewayToken: 'g',
      modelToken: 'k',
      snapshotGrant: '{}',
      forwardKey: 'f',
    };
    assert.throws(() => secretsFromValues(spec, secrets), /podId is required/);
    assert.equal(secretsFromValues({ ...spec, podId: 'tenant-a-1' }, secrets).forwardKey, 'f');
  });
});
