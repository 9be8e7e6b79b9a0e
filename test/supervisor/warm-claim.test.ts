/**
 * The warm pod's claim server over real HTTP: exactly one claim with the pool
 * token and a valid spec and secrets is accepted; everything else is a 4xx
 * that changes nothing, and no answer ever echoes a secret value.
 */
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { freePort } from '../../dev/ports.js';
import { SECRET_SOURCES, type SupervisorConfig } from '../../supervisor/supervisor-config.js';
import { buildWarmApp } from '../../supervisor/warm-claim.js';
import type { WarmConfig } from '../../supervisor/warm-config.js';

const CLAIM_TOKEN = 'pool-claim-token-0123456789abcdef';
const POD_LAYOUT: WarmConfig['pod'] = {
  rootDir: '/var/lib/clawfleet',
  gatewayHost: '127.0.0.1',
  openclaw: { node: '/usr/local/bin/node', entry: '/opt/openclaw/node_modules/openclaw/openclaw.mjs' },
};
/** Every secret the supervisor knows, with values that must never come back in an answer. */
const SECRETS = Object.fromEntries(
  Object.keys(SECRET_SOURCES).map((name) => [name, `secret-value-of-${name}`]),
);

function tenantSpec(listen: { host: string; port: number }) {
  return {
    tenantId: 'warm-acme',
    podId: 'warm-acme-1', // named because SECRETS carries a forwardKey (the router's signatures name the pod)
    listen,
    gateway: { host: '0.0.0.0', port: 18789 },
    rootDir: '/somewhere/else',
    openclaw: { version: '2026.9.6', node: '/bin/false', entry: '/nope.mjs' },
    provider: { name: 'fake', baseUrl: 'http://127.0.0.1:1/v1', modelId: 'fake-model' },
    snapshots: {},
    secretsDir: '/etc/clawfleet',
  };
}

describe('warm pod claim server', function () {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  async function serve(host: string) {
    const port = await freePort(host === '0.0.0.0' ? '127.0.0.1' : host);
    const warm: WarmConfig = {
      listen: { host, port },
      claimTokenFile: '/unused',
      pod: POD_LAYOUT,
      logLevel: 'silent',
    };
    const claims: SupervisorConfig[] = [];
    const app = buildWarmApp({
      warm,
      claimToken: CLAIM_TOKEN,
      logger: pino({ level: 'silent' }),
      onClaimed: (claim) => claims.push(claim.config),
    });
    await app.listen({ host, port });
    close = () => app.close();
    const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    const claim = async (body: unknown, token: string | null = CLAIM_TOKEN) => {
      const response = await fetch(`${url}/claim`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      for (const value of Object.values(SECRETS)) assert.ok(!text.includes(value), 'no secret in an answer');
      return { status: response.status, body: JSON.parse(text) as { code?: string; detail?: string } };
    };
    return { url, port, claims, claim };
  }

  it('while warm: /healthz 200, /readyz 503 reporting warm (no traffic, and no stale Ready after a claim)', async () => {
    const { url } = await serve('127.0.0.1');
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    const readyz = await fetch(`${url}/readyz`);
    assert.equal(readyz.status, 503);
    assert.deepEqual(await readyz.json(), { state: 'warm' });
  });

  it('refuses a missing, wrong or extended claim token with 401', async () => {
    const { port, claim, claims } = await serve('127.0.0.1');
    const body = { spec: tenantSpec({ host: '127.0.0.1', port }), secrets: SECRETS };
    for (const token of [null, 'wrong', `${CLAIM_TOKEN}x`, CLAIM_TOKEN.slice(0, -1)])
      assert.equal((await claim(body, token)).status, 401, `token ${String(token)}`);
    assert.equal(claims.length, 0);
  });

  it('refuses malformed bodies, invalid specs and missing required secrets with 400 naming the problem', async () => {
    const { port, claim, claims } = await serve('127.0.0.1');
    const spec = tenantSpec({ host: '127.0.0.1', port });
    const { modelApiKey: _dropped, ...withoutModelKey } = SECRETS;
    const cases: [unknown, RegExp][] = [
      ['{not json', /json/i],
      [{ spec }, /secrets/],
      [{ secrets: SECRETS }, /spec/],
      [{ spec, secrets: 'all of them' }, /secrets must be an object/],
      [{ spec: { ...spec, tenantId: 'Not A Tenant!' }, secrets: SECRETS }, /tenantId/],
      [{ spec: { ...spec, listen: { host: 'localhost', port } }, secrets: SECRETS }, /listen/],
      [{ spec, secrets: withoutModelKey }, /secret modelApiKey is missing/],
      // A pod's output stays with its container: only a host's warm process is told where to log.
      [{ spec, secrets: SECRETS, logFile: '/tmp/elsewhere.log' }, /only a host process/],
    ];
    for (const [body, message] of cases) {
      const answer = await claim(body);
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.match(answer.body.detail ?? '', message);
    }
    assert.equal(claims.length, 0);
  });

  it('refuses a spec listening on another port or address than the warm pod with 422', async () => {
    const { port, claim, claims } = await serve('127.0.0.1');
    for (const listen of [
      { host: '127.0.0.1', port: port + 1 },
      { host: '127.0.0.2', port },
      { host: '0.0.0.0', port },
    ]) {
      const answer = await claim({ spec: tenantSpec(listen), secrets: SECRETS });
      assert.equal(answer.status, 422, JSON.stringify(listen));
      assert.equal(answer.body.code, 'LISTEN_MISMATCH');
    }
    assert.equal(claims.length, 0);
  });

  it('after refusals, one of two concurrent valid claims wins (202) and the other gets 409; the layout is pinned', async () => {
    const { port, claim, claims } = await serve('127.0.0.1');
    assert.equal((await claim({ spec: tenantSpec({ host: '127.0.0.1', port }), secrets: {} })).status, 400);
    const body = { spec: tenantSpec({ host: '127.0.0.1', port }), secrets: SECRETS };
    const answers = await Promise.all([claim(body), claim(body)]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [202, 409]);
    assert.equal(answers.find((a) => a.status === 409)?.body.code, 'ALREADY_CLAIMED');
    for (let i = 0; i < 50 && claims.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(claims.length, 1);
    const { spec, secrets } = claims[0]!;
    assert.equal(spec.tenantId, 'warm-acme');
    assert.deepEqual(spec.listen, { host: '127.0.0.1', port });
    assert.equal(spec.rootDir, POD_LAYOUT.rootDir);
    assert.equal(spec.gateway.host, POD_LAYOUT.gatewayHost);
    assert.deepEqual(
      [spec.openclaw.node, spec.openclaw.entry, spec.openclaw.version],
      [POD_LAYOUT.openclaw.node, POD_LAYOUT.openclaw.entry, '2026.9.6'],
    );
    assert.equal(spec.secretsDir, undefined, 'secrets came in the claim, not from a directory');
    assert.deepEqual(secrets, SECRETS);
    assert.equal((await claim(body)).status, 409, 'a later claim is refused too');
  });

  it('a warm server on 0.0.0.0 accepts the address the claim arrived at, nothing else', async () => {
    const { port, claim, claims } = await serve('0.0.0.0');
    const elsewhere = await claim({ spec: tenantSpec({ host: '127.0.0.2', port }), secrets: SECRETS });
    assert.equal(elsewhere.status, 422);
    const arrivedAt = await claim({ spec: tenantSpec({ host: '127.0.0.1', port }), secrets: SECRETS });
    assert.equal(arrivedAt.status, 202);
    for (let i = 0; i < 50 && claims.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(claims[0]?.spec.listen.host, '127.0.0.1');
  });
});
