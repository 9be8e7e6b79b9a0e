/**
 * The pod's secrets: read from the environment (`CLAWFLEET_POD_*`, an
 * explicit override) or from files in the secrets directory (a mounted
 * Kubernetes Secret), or handed over in a warm pod's claim. Never in the
 * spec, in argv or in a log line; a missing required one stops the start.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../common/errors.js';

/** Secret names, their file names in `secretsDir`, and the env var that overrides each. */
export const SECRET_SOURCES = {
  supervisorToken: 'CLAWFLEET_POD_SUPERVISOR_TOKEN',
  gatewayToken: 'CLAWFLEET_POD_GATEWAY_TOKEN',
  telegramBotToken: 'CLAWFLEET_POD_TELEGRAM_BOT_TOKEN',
  telegramWebhookSecret: 'CLAWFLEET_POD_TELEGRAM_WEBHOOK_SECRET',
  modelToken: 'CLAWFLEET_POD_MODEL_TOKEN',
  /** JSON (snapshots/grant.ts): presigned URLs of the tenant's own snapshots and its data keys. */
  snapshotGrant: 'CLAWFLEET_POD_SNAPSHOT_GRANT',
  /** base64url: this tenant's forwarding key, to check the router's signed forwards (needs `podId`). */
  forwardKey: 'CLAWFLEET_POD_FORWARD_KEY',
} as const;

export type SecretName = keyof typeof SECRET_SOURCES;
export type PodSecrets = { readonly [K in SecretName]?: string };

/** Secrets the supervisor cannot run without (Telegram ones only when Telegram is configured). */
const REQUIRED: readonly SecretName[] = ['supervisorToken', 'gatewayToken', 'modelToken', 'snapshotGrant'];
const TELEGRAM_REQUIRED: readonly SecretName[] = ['telegramBotToken', 'telegramWebhookSecret'];

/** What the secrets depend on in the spec (supervisor-config.ts, SupervisorSpec). */
interface SecretsSpec {
  readonly secretsDir?: string | undefined;
  readonly podId?: string | undefined;
  readonly telegram?: unknown;
}

async function readSecretFile(dir: string | undefined, name: string): Promise<string | undefined> {
  if (!dir) return undefined;
  try {
    return (await readFile(join(dir, name), 'utf8')).trim() || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Environment first (explicit override), then the secrets directory. */
export async function loadSecrets(spec: SecretsSpec, env: NodeJS.ProcessEnv): Promise<PodSecrets> {
  const secrets: Record<string, string> = {};
  for (const [name, envName] of Object.entries(SECRET_SOURCES)) {
    const value = env[envName]?.trim() || (await readSecretFile(spec.secretsDir, name));
    if (value) secrets[name] = value;
  }
  return withRequiredSecrets(spec, secrets);
}

/** Secrets handed over as a name → value map (a warm pod's claim); other names are ignored. */
export function secretsFromValues(spec: SecretsSpec, values: Readonly<Record<string, unknown>>): PodSecrets {
  const secrets: Record<string, string> = {};
  for (const name of Object.keys(SECRET_SOURCES)) {
    const value = values[name];
    if (typeof value === 'string' && value.trim()) secrets[name] = value.trim();
  }
  return withRequiredSecrets(spec, secrets);
}

function withRequiredSecrets(spec: SecretsSpec, secrets: Record<string, string>): PodSecrets {
  const required = spec.telegram ? [...REQUIRED, ...TELEGRAM_REQUIRED] : REQUIRED;
  const missing = required.filter((name) => !secrets[name]);
  if (missing.length > 0) throw new ConfigError(missing.map((name) => `secret ${name} is missing`));
  // Without its pod id a supervisor could not tell a forward meant for it from one for its predecessor.
  if (secrets['forwardKey'] && !spec.podId) throw new ConfigError(['/podId is required with a forwardKey']);
  return secrets;
}
