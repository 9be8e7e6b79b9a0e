import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../common/errors.js';
import { gatewayEnv, writeOpenClawConfig } from '../../supervisor/gateway-launch.js';
import { bearerMatches } from '../../supervisor/http-api.js';
import { loadSupervisorConfig, parseSpec } from '../../supervisor/supervisor-config.js';
import { createHash } from 'node:crypto';

const baseSpec = (root: string) => ({
  tenantId: 'cfg-tenant',
  listen: { host: '127.0.0.9', port: 18000 },
  gateway: { host: '127.0.0.9', port: 18001 },
  rootDir: join(root, 'pod'),
  openclaw: { version: '2026.9.6', node: '/opt/node24/bin/node', entry: '/opt/oc/openclaw.mjs' },
  provider: { name: 'fake', baseUrl: 'http://127.0.0.1:9/v1', modelId: 'm' },
  telegram: { webhookUrl: 'https://router.example/tg/cfg-tenant', webhookPort: 18002 },
  snapshots: { latestSeq: 4 },
  secretsDir: join(root, 'secrets'),
});

describe('pod supervisor configuration', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'clawfleet-pod-cfg-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  async function writeSpec(spec: unknown): Promise<string> {
    const path = join(root, 'spec.json');
    await writeFile(path, JSON.stringify(spec));
    return path;
  }

  it('reads secrets from files, lets the environment override them, and fills defaults', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(root, 'secrets'));
    for (const name of [
      'supervisorToken',
      'gatewayToken',
      'modelToken',
      'telegramBotToken',
      'telegramWebhookSecret',
      'snapshotGrant',
    ])
      await writeFile(join(root, 'secrets', name), `${name}-from-file\n`);
    const config = await loadSupervisorConfig(await writeSpec(baseSpec(root)), {
      CLAWFLEET_POD_GATEWAY_TOKEN: 'gateway-from-env',
    });
    assert.equal(config.secrets.supervisorToken, 'supervisorToken-from-file');
    assert.equal(config.secrets.gatewayToken, 'gateway-from-env');
    assert.deepEqual(config.spec.crashLoop, { maxCrashes: 3, windowMs: 600_000, backoffMs: 500 });
    assert.equal(config.spec.snapshots.latestSeq, 4);
    assert.equal(config.secrets.snapshotGrant, 'snapshotGrant-from-file');
  });

  it('names missing secrets without printing any secret value', async () => {
    const error = await loadSupervisorConfig(await writeSpec(baseSpec(root)), {
      CLAWFLEET_POD_SUPERVISOR_TOKEN: 'very-secret-value',
    }).catch((err: unknown) => err);
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /secret gatewayToken is missing/);
    assert.match(error.message, /secret telegramWebhookSecret is missing/);
    assert.doesNotMatch(error.message, /very-secret-value/);
  });

  it('refuses a spec with an invalid tenant id or a malformed address', () => {
    assert.throws(() => parseSpec({ ...baseSpec(root), tenantId: '../etc' }), ConfigError);
    assert.throws(
      () => parseSpec({ ...baseSpec(root), listen: { host: 'example.com', port: 1 } }),
      ConfigError,
    );
  });

  it('writes openclaw.json with mode 600 holding no secret, and gives them to the gateway by env only', async () => {
    const spec = parseSpec(baseSpec(root));
    const secrets = {
      supervisorToken: 'sup-secret',
      gatewayToken: 'gw-secret',
      modelToken: 'model-secret',
      telegramBotToken: 'bot-secret',
      telegramWebhookSecret: 'hook-secret',
      s3SecretAccessKey: 's3-secret',
    };
    await writeOpenClawConfig(spec);
    const path = join(root, 'pod', 'state', 'openclaw.json');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(root, 'pod', 'state'))).mode & 0o777, 0o700);
    const text = await readFile(path, 'utf8');
    for (const value of Object.values(secrets)) assert.ok(!text.includes(value));
    const config = JSON.parse(text) as { agents: { defaults: { heartbeat: { every: string } } } };
    assert.equal(config.agents.defaults.heartbeat.every, '0m', 'heartbeat off by default');
    const env = gatewayEnv({ spec, secrets });
    assert.equal(env['OPENCLAW_GATEWAY_TOKEN'], 'gw-secret');
    assert.equal(env['HOME'], join(root, 'pod', 'home'));
    assert.equal(env['TMPDIR'], join(root, 'pod', 'tmp'));
    // The install's shared compile cache (not the tenant's empty TMPDIR) and the embedding preset.
    // entry is <install>/node_modules/openclaw/openclaw.mjs, so /opt/oc/openclaw.mjs means install '/'.
    assert.equal(env['NODE_COMPILE_CACHE'], '/compile-cache');
    assert.equal(env['NODE_COMPILE_CACHE_PORTABLE'], '1');
    assert.equal(env['OPENCLAW_NO_RESPAWN'], '1');
    assert.equal(env['OPENCLAW_DISABLE_BONJOUR'], '1');
    const values = Object.values(env).join('\n');
    assert.ok(
      !values.includes('sup-secret') && !values.includes('s3-secret'),
      'the gateway never gets pod-only secrets',
    );
  });

  it('accepts only the exact bearer token', () => {
    const expected = createHash('sha256').update('tok').digest();
    assert.equal(bearerMatches('Bearer tok', expected), true);
    for (const header of [undefined, '', 'tok', 'Bearer tok2', 'Bearer  tok', 'Basic tok', 'Bearer '])
      assert.equal(bearerMatches(header, expected), false, String(header));
  });
});
