import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../common/config.js';
import { ensureOpenClaw, openclawCommand, type OpenClawInstall } from '../../dev/openclaw-install.js';
import { buildOpenClawConfig, envRef, type OpenClawConfigInput } from '../../supervisor/openclaw-config.js';
import { makeStateDir, removeStateDir } from './gateway-process.js';

const input = (root: string, overrides: Partial<OpenClawConfigInput> = {}): OpenClawConfigInput => ({
  tenantId: 'cfg-test',
  paths: {
    workspaceDir: join(root, 'state', 'workspace'),
    logFile: join(root, 'state', 'logs', 'openclaw.log'),
  },
  gateway: { host: '127.0.0.1', port: 18789 },
  provider: { name: 'fake', baseUrl: 'http://127.0.0.1:9/v1', modelId: 'fake-model' },
  telegram: {
    webhookUrl: 'https://router.example/tg/cfg-test',
    webhookHost: '127.0.0.1',
    webhookPort: 8787,
    allowFrom: [111],
  },
  ...overrides,
});

describe('tenant openclaw.json (supervisor/openclaw-config.ts)', function () {
  this.timeout(11 * 60_000); // first run may install OpenClaw

  let install: OpenClawInstall;
  let root: string;

  /** Runs the real CLI against `config` in a scratch state dir (no gateway needed). */
  const cli = async (config: Record<string, unknown>, args: string[]) => {
    await writeFile(join(root, 'state', 'openclaw.json'), JSON.stringify(config), { mode: 0o600 });
    const [file, argv] = openclawCommand(install, args);
    const env = {
      PATH: process.env['PATH'],
      HOME: join(root, 'home'),
      TMPDIR: root,
      OPENCLAW_STATE_DIR: join(root, 'state'),
    };
    const result = spawnSync(file, argv, { encoding: 'utf8', env, timeout: 60_000 });
    assert.equal(result.status, 0, `${args.join(' ')} failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  };

  before(async () => {
    install = await ensureOpenClaw({ cacheDir: loadConfig().common.cacheDir });
    root = await makeStateDir();
  });
  after(async () => root && removeStateDir(root));

  it('writes no secret values, only env SecretRefs, and leaves the gateway token to OPENCLAW_GATEWAY_TOKEN', () => {
    const config = buildOpenClawConfig(input(root)) as {
      gateway: { auth: Record<string, unknown> };
      channels: { telegram: Record<string, unknown> };
      models: { providers: Record<string, { apiKey: unknown }> };
    };
    assert.deepEqual(config.gateway.auth, { mode: 'token' });
    assert.deepEqual(config.channels.telegram['botToken'], envRef('CLAWFLEET_TELEGRAM_BOT_TOKEN'));
    assert.deepEqual(config.channels.telegram['webhookSecret'], envRef('CLAWFLEET_TELEGRAM_WEBHOOK_SECRET'));
    assert.deepEqual(config.models.providers['fake']?.apiKey, envRef('CLAWFLEET_MODEL_TOKEN'));
  });

  it('binds a non-default loopback address as a custom bind host', () => {
    const config = buildOpenClawConfig(input(root, { gateway: { host: '127.0.0.7', port: 18789 } })) as {
      gateway: Record<string, unknown>;
    };
    assert.equal(config.gateway['bind'], 'custom');
    assert.equal(config.gateway['customBindHost'], '127.0.0.7');
  });

  it('makes the listed Telegram users the owners (only owners may schedule reminders); open DMs name no owner', () => {
    const commands = (overrides: Partial<OpenClawConfigInput> = {}) =>
      (buildOpenClawConfig(input(root, overrides)) as { commands: Record<string, unknown> }).commands;
    assert.deepEqual(commands(), { restart: false, ownerAllowFrom: ['telegram:111'] });
    const open = input(root).telegram!;
    assert.deepEqual(commands({ telegram: { ...open, allowFrom: [] } }), { restart: false });
    const { telegram: _, ...withoutTelegram } = input(root);
    assert.deepEqual(
      (buildOpenClawConfig(withoutTelegram) as { commands: Record<string, unknown> }).commands,
      { restart: false },
    );
  });

  it('is accepted by `openclaw config validate` without warnings', async () => {
    const withCron = input(root, { tools: { profile: 'messaging', alsoAllow: ['cron'] } });
    const result = await cli(buildOpenClawConfig(withCron), ['config', 'validate', '--json']);
    assert.equal(result['valid'], true);
    assert.deepEqual(result['warnings'], []);
  });

  it('enables only the plugins a tenant uses: memory-core, and telegram only with the channel', async () => {
    const enabled = async (config: Record<string, unknown>) => {
      const result = await cli(config, ['plugins', 'list', '--json']);
      const plugins = result['plugins'] as { id: string; enabled: boolean }[];
      assert.ok(plugins.length > 20, 'the install bundles many plugins'); // the allowlist is what trims them
      return plugins
        .filter((p) => p.enabled)
        .map((p) => p.id)
        .sort();
    };
    assert.deepEqual(await enabled(buildOpenClawConfig(input(root))), ['memory-core', 'telegram']);
    const { telegram: _, ...withoutTelegram } = input(root);
    assert.deepEqual(await enabled(buildOpenClawConfig(withoutTelegram)), ['memory-core']);
  });

  it('passes `openclaw security audit` without critical findings when DMs are allowlisted, reminders (cron) on', async () => {
    const withCron = input(root, { tools: { profile: 'messaging', alsoAllow: ['cron'] } });
    const result = await cli(buildOpenClawConfig(withCron), ['security', 'audit', '--json']);
    const findings = result['findings'] as { severity: string; checkId: string }[];
    assert.deepEqual(
      findings.filter((f) => f.severity === 'critical').map((f) => f.checkId),
      [],
    );
  });
});
