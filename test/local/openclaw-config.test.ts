import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../common/config.js';
import { ensureOpenClaw, openclawCommand, type OpenClawInstall } from '../../dev/openclaw-install.js';
import { resolveTenantTools } from '../../common/tool-tiers.js';
import type { TenantTier } from '../../workflows/types.js';
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
    await chmod(join(root, 'state'), 0o700);
    const [file, argv] = openclawCommand(install, args);
    const env = {
      PATH: process.env['PATH'],
      HOME: join(root, 'home'),
      TMPDIR: root,
      OPENCLAW_STATE_DIR: join(root, 'state'),
      // The supervisor passes the gateway token this way (values are dummies: nothing starts).
      OPENCLAW_GATEWAY_TOKEN: 'audit-gateway-token-0123456789abcdef',
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

  /**
   * The findings docs/security.md lists as accepted, per tier and DM policy
   * (an allowlist of Telegram users, or open to anyone). A new finding, or
   * one gone, fails here until the doc's table says why.
   */
  const ACCEPTED_FINDINGS: Record<'allowlist' | 'open', Partial<Record<TenantTier, readonly string[]>>> = {
    allowlist: {
      free: [],
      pro: ['warn tools.exec.security_full_configured'],
    },
    open: {
      free: [
        'critical security.exposure.open_groups_with_control_plane_tools',
        'warn security.trust_model.multi_user_heuristic',
      ],
      standard: [
        'critical security.exposure.open_groups_with_control_plane_tools',
        'warn security.trust_model.multi_user_heuristic',
      ],
      pro: [
        'critical security.exposure.open_channels_with_exec',
        'critical security.exposure.open_groups_with_control_plane_tools',
        'critical security.exposure.open_groups_with_runtime_or_fs',
        'critical tools.exec.security_full_configured',
        'warn security.trust_model.multi_user_heuristic',
      ],
    },
  };

  for (const tier of ['free', 'standard', 'pro'] as const) {
    it(`${tier} tier: passes \`openclaw config validate\` without warnings, and \`security audit\` finds only the accepted findings`, async () => {
      const tools = resolveTenantTools(tier);
      const config = buildOpenClawConfig(input(root, { tools }));
      const validated = await cli(config, ['config', 'validate', '--json']);
      assert.equal(validated['valid'], true, JSON.stringify(validated));
      assert.deepEqual(validated['warnings'], []);
      // standard's allowlisted audit adds nothing the open one would not show (each run is ~15 s).
      for (const dm of tier === 'standard' ? (['open'] as const) : (['allowlist', 'open'] as const)) {
        const { telegram, ...rest } = input(root, { tools });
        const audited = await cli(
          buildOpenClawConfig({ ...rest, telegram: { ...telegram!, allowFrom: dm === 'open' ? [] : [111] } }),
          ['security', 'audit', '--json'],
        );
        const findings = (audited['findings'] as { severity: string; checkId: string }[])
          .filter((f) => f.severity !== 'info')
          .map((f) => `${f.severity} ${f.checkId}`)
          .sort();
        assert.deepEqual(findings, [...(ACCEPTED_FINDINGS[dm][tier] ?? [])], `${tier}, ${dm} DMs`);
      }
    });
  }

  it('exec runs on the gateway host (the tenant sandbox) without prompts only where it is granted; control-plane tools stay denied', () => {
    const tools = (tier: 'free' | 'pro') =>
      (
        buildOpenClawConfig(input(root, { tools: resolveTenantTools(tier) })) as {
          tools: Record<string, unknown>;
        }
      ).tools;
    assert.deepEqual(tools('pro')['exec'], {
      host: 'gateway',
      mode: 'full',
      strictInlineEval: false,
      timeoutSeconds: 300,
    });
    assert.equal(tools('free')['exec'], undefined);
    for (const tier of ['free', 'pro'] as const) {
      const deny = tools(tier)['deny'] as string[];
      for (const tool of ['gateway', 'plugins', 'openclaw', 'group:nodes', 'group:ui'])
        assert.ok(deny.includes(tool));
      assert.deepEqual(tools(tier)['elevated'], { enabled: false });
    }
    // A spec that forgot the control plane still gets it denied.
    const bare = buildOpenClawConfig(input(root, { tools: { alsoAllow: ['exec'], deny: [] } })) as {
      tools: { deny: string[] };
    };
    assert.ok(bare.tools.deny.includes('gateway') && bare.tools.deny.includes('plugins'));
  });
});
