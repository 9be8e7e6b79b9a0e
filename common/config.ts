/**
 * The one typed configuration of clawfleet. Every setting is read from one
 * environment variable, has a default that works on the embedded dev stack,
 * and is documented here once: the README's configuration table is checked
 * against this list by a test. No other module reads `process.env`.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type Type from 'typebox';
import Value from 'typebox/value';
import { ConfigError } from './errors.js';
import {
  COMMON_SETTINGS,
  TEMPORAL_SETTINGS,
  REDIS_SETTINGS,
  AWS_SETTINGS,
} from './settings/platform-settings.js';
import { ROUTER_SETTINGS, ADMIN_SETTINGS, CLI_SETTINGS } from './settings/listener-settings.js';
import { RUNTIME_SETTINGS, LOCAL_SETTINGS, K8S_SETTINGS } from './settings/runtime-settings.js';
import {
  MODEL_SETTINGS,
  GATEWAY_SETTINGS,
  TELEMETRY_SETTINGS,
  TELEGRAM_SETTINGS,
} from './settings/model-settings.js';

function defaultCacheDir(): string {
  return join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'clawfleet');
}

/**
 * Settings by group (common/settings/*.ts), in the README table's order;
 * `env` names the variable, `description` feeds the table.
 */
export const SETTINGS = {
  common: COMMON_SETTINGS,
  temporal: TEMPORAL_SETTINGS,
  redis: REDIS_SETTINGS,
  aws: AWS_SETTINGS,
  router: ROUTER_SETTINGS,
  admin: ADMIN_SETTINGS,
  cli: CLI_SETTINGS,
  runtime: RUNTIME_SETTINGS,
  model: MODEL_SETTINGS,
  gateway: GATEWAY_SETTINGS,
  telemetry: TELEMETRY_SETTINGS,
  telegram: TELEGRAM_SETTINGS,
  local: LOCAL_SETTINGS,
  k8s: K8S_SETTINGS,
} as const;

type Settings = typeof SETTINGS;
type Group<G extends keyof Settings> = {
  -readonly [K in keyof Settings[G]]: Settings[G][K] extends { schema: infer S extends Type.TSchema }
    ? Type.Static<S>
    : never;
};
/** The whole configuration, nested by component: `config.router.port`, `config.local.maxTenants`. */
export type Config = { -readonly [G in keyof Settings]: Group<G> };
/** Components take the groups they read (`Pick<Config, 'common' | 'router'>`), never the whole tree. */
export type ConfigGroup = keyof Config;

interface Setting {
  readonly env: string;
  readonly schema: Type.TSchema;
}

/** Every setting with its group and name, in declaration order (the README table, loading). */
export function listSettings(): { group: string; name: string; setting: Setting }[] {
  return Object.entries(SETTINGS).flatMap(([group, settings]) =>
    Object.entries(settings as Record<string, Setting>).map(([name, setting]) => ({ group, name, setting })),
  );
}

/** Read and validate the configuration; throws one ConfigError naming every bad setting. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const config: Record<string, Record<string, unknown>> = {};
  const problems: string[] = [];
  for (const { group, name, setting } of listSettings()) {
    const raw = env[setting.env];
    const value =
      raw === undefined ? Value.Default(setting.schema, undefined) : Value.Convert(setting.schema, raw);
    if (!Value.Check(setting.schema, value)) {
      problems.push(`${setting.env}=${JSON.stringify(raw)}: ${describeExpected(setting.schema, value)}`);
      continue;
    }
    (config[group] ??= {})[name] = value;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const result = config as Config;
  if (result.common.cacheDir === '') result.common.cacheDir = defaultCacheDir();
  return result;
}

function describeExpected(schema: Type.TSchema, value: unknown): string {
  const choices = (schema as { anyOf?: { const?: unknown }[] }).anyOf?.map((s) => s.const);
  if (choices?.every((c) => typeof c === 'string')) return `must be one of ${choices.join(', ')}`;
  return [...Value.Errors(schema, value)].map((e) => e.message).join(', ');
}

type DataDir = Pick<Config['common'], 'dataDir'>;

/** The master key file: the configured one, or `<data dir>/keys/master.key`. */
export function masterKeyPath(config: {
  common: Pick<Config['common'], 'masterKeyFile' | 'dataDir'>;
}): string {
  return config.common.masterKeyFile || join(config.common.dataDir, 'keys', 'master.key');
}

/** The router key file: the configured one, or `<data dir>/keys/router.key`. */
export function routerKeyPath(config: {
  common: DataDir;
  router: Pick<Config['router'], 'keyFile'>;
}): string {
  return config.router.keyFile || join(config.common.dataDir, 'keys', 'router.key');
}

type ModelKeys = { common: DataDir; model: Pick<Config['model'], 'apiKeyFile' | 'provider'> };

/** The platform model API key file: the configured one, or `<data dir>/keys/model-api.key`. */
export function modelApiKeyPath(config: ModelKeys): string {
  return config.model.apiKeyFile || join(config.common.dataDir, 'keys', 'model-api.key');
}

/** The platform key file of model upstream `name`: the model API key file for the default provider. */
export function upstreamKeyPath(config: ModelKeys, name: string): string {
  return name === config.model.provider
    ? modelApiKeyPath(config)
    : join(config.common.dataDir, 'keys', `model-${name}.key`);
}

/** Where tenant agents reach the model gateway. */
export function gatewayBaseUrl(config: {
  gateway: Pick<Config['gateway'], 'url' | 'host' | 'port'>;
}): string {
  const { url, host, port } = config.gateway;
  return url || `http://${host}:${port}/v1`;
}

/** The platform admin token file: the configured one, or `<data dir>/keys/admin.token`. */
export function adminTokenPath(config: {
  common: DataDir;
  admin: Pick<Config['admin'], 'tokenFile'>;
}): string {
  return config.admin.tokenFile || join(config.common.dataDir, 'keys', 'admin.token');
}

/** Some settings of some groups: what a test or the dev stack overrides. */
export type ConfigOverrides = { [G in keyof Config]?: Partial<Config[G]> };

/** A copy of `config` with `overrides` applied group by group. */
export function withOverrides(config: Config, overrides: ConfigOverrides): Config {
  const result = { ...config } as Record<string, unknown>;
  for (const [group, values] of Object.entries(overrides))
    result[group] = { ...config[group as ConfigGroup], ...values };
  return result as Config;
}

/** `config` without the master key setting: for processes that must never be told where it is (the router). */
export function withoutMasterKey(config: Config): ConfigOverrides {
  const { masterKeyFile: _notForThisProcess, ...common } = config.common;
  return { ...config, common };
}

/** Environment variables that reproduce `config` in a child process (the dev stack passes these down). */
export function configToEnv(config: ConfigOverrides): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { group, name, setting } of listSettings()) {
    const value = (config as Record<string, Record<string, string | number | boolean> | undefined>)[group]?.[
      name
    ];
    if (value !== undefined) env[setting.env] = String(value);
  }
  return env;
}
