/**
 * What the supervisor hands OpenClaw at every start: a freshly written
 * `openclaw.json` (mode 600, state dir 700) and a minimal environment that
 * carries the secrets under the names the config references, so no secret
 * value is ever written to disk or to argv.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { buildOpenClawConfig, OPENCLAW_SECRET_ENV } from './openclaw-config.js';
import { trimmedBootEnv } from './trimmed-boot.js';
import { podPaths, type SupervisorConfig, type SupervisorSpec } from './supervisor-config.js';

/** Nothing of the supervisor's own environment leaks into the tenant's gateway. */
export function gatewayEnv({ spec, secrets }: SupervisorConfig): NodeJS.ProcessEnv {
  const paths = podPaths(spec);
  return {
    PATH: `${dirname(spec.openclaw.node)}:/usr/local/bin:/usr/bin:/bin`,
    // OpenClaw writes $HOME/.cache, $HOME/.npm and lock files in the temp dir: keep them per tenant.
    HOME: paths.home,
    TMPDIR: paths.tmp,
    LANG: 'C.UTF-8',
    OPENCLAW_STATE_DIR: paths.stateDir,
    ...trimmedBootEnv(spec.openclaw.entry),
    // The tier's thread and allocator settings (runtime/tier-memory.ts); its V8 flags are in gatewayArgs.
    ...spec.memory?.env,
    [OPENCLAW_SECRET_ENV.gatewayToken]: secrets.gatewayToken,
    [OPENCLAW_SECRET_ENV.modelToken]: secrets.modelToken,
    ...(spec.telegram
      ? {
          [OPENCLAW_SECRET_ENV.telegramBotToken]: secrets.telegramBotToken,
          [OPENCLAW_SECRET_ENV.telegramWebhookSecret]: secrets.telegramWebhookSecret,
        }
      : {}),
  };
}

/**
 * `openclaw gateway run` with the tier's V8 flags on Node's command line: most
 * of them are refused in NODE_OPTIONS, and there they would also reach every
 * Node child OpenClaw spawns.
 */
export function gatewayArgs(spec: SupervisorSpec, ...command: string[]): string[] {
  return [...(spec.memory?.v8Flags ?? []), spec.openclaw.entry, ...command];
}

/** Rewritten before every start: paths are always current and a restored file is never trusted. */
export async function writeOpenClawConfig(spec: SupervisorSpec): Promise<void> {
  const { stateDir } = podPaths(spec);
  await mkdir(join(stateDir, 'logs'), { recursive: true, mode: 0o700 });
  await chmod(stateDir, 0o700);
  const config = buildOpenClawConfig({
    tenantId: spec.tenantId,
    paths: { workspaceDir: join(stateDir, 'workspace'), logFile: join(stateDir, 'logs', 'openclaw.log') },
    gateway: spec.gateway,
    provider: spec.provider,
    ...(spec.telegram ? { telegram: { ...spec.telegram, webhookHost: spec.gateway.host } } : {}),
    ...(spec.tools ? { tools: spec.tools } : {}),
    // Background model work is per tier and off by default: it would wake sleeping tenants and spend tokens.
    heartbeat: spec.background?.heartbeatEvery ? { every: spec.background.heartbeatEvery } : false,
    dreaming: spec.background?.dreaming ?? false,
    skillReview: spec.background?.skillReview ?? false,
  });
  const path = join(stateDir, 'openclaw.json');
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
}
