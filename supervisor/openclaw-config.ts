/**
 * Builds a tenant's `openclaw.json` (OpenClaw 2026.9.x schema) from tenant
 * settings, ports and paths. Pure: no I/O, no environment reads; the
 * supervisor writes the result (mode 600) before each start, so the file is
 * never the source of truth and absolute paths are always current.
 *
 * Secrets never appear in the file. OpenClaw resolves SecretRefs
 * (`{source: 'env', provider: 'default', id}`) for `channels.telegram.botToken`,
 * `channels.telegram.webhookSecret` and `models.providers.*.apiKey`, and reads
 * the gateway token from `OPENCLAW_GATEWAY_TOKEN`; the supervisor passes the
 * values in the gateway's environment. `hooks.token` is the one credential
 * OpenClaw does not accept as a reference, so hooks are left off.
 */
import { CONTROL_PLANE_TOOLS, resolveTenantTools } from '../common/tool-tiers.js';
import { tenantPlugins } from './trimmed-boot.js';

/** OpenClaw SecretRef for an environment variable (id grammar `^[A-Z][A-Z0-9_]{0,127}$`). */
export interface EnvSecretRef {
  readonly source: 'env';
  readonly provider: 'default';
  readonly id: string;
}

export const envRef = (name: string): EnvSecretRef => {
  if (!/^[A-Z][A-Z0-9_]{0,127}$/.test(name))
    throw new RangeError(`invalid env SecretRef name ${JSON.stringify(name)}`);
  return { source: 'env', provider: 'default', id: name };
};

/** Names of the environment variables the gateway must receive (values come from the tenant's secrets). */
export const OPENCLAW_SECRET_ENV = {
  gatewayToken: 'OPENCLAW_GATEWAY_TOKEN',
  telegramBotToken: 'CLAWFLEET_TELEGRAM_BOT_TOKEN',
  telegramWebhookSecret: 'CLAWFLEET_TELEGRAM_WEBHOOK_SECRET',
  modelToken: 'CLAWFLEET_MODEL_TOKEN',
} as const;

export type ToolProfile = 'minimal' | 'messaging' | 'coding' | 'full';

export interface ModelProviderSettings {
  /** Provider id in `models.providers` (and the prefix of the model ref). */
  readonly name: string;
  /** OpenAI-compatible base URL including `/v1`. */
  readonly baseUrl: string;
  /** @default 'openai-completions' */
  readonly api?: 'openai-completions' | 'openai-responses' | 'anthropic-messages';
  readonly modelId: string;
  /** @default modelId */
  readonly modelName?: string;
  /** @default 128000 */
  readonly contextWindow?: number;
  /** @default 8192 */
  readonly maxTokens?: number;
}

export interface TelegramSettings {
  /** Bot API root without `/bot<token>`; omit for api.telegram.org. */
  readonly apiRoot?: string;
  /** The public URL Telegram posts to (the router's `/tg/<tenantId>`). */
  readonly webhookUrl: string;
  /** Where OpenClaw's own webhook listener binds (the supervisor forwards to it). */
  readonly webhookHost: string;
  readonly webhookPort: number;
  /** @default '/telegram-webhook' */
  readonly webhookPath?: string;
  /** Telegram user ids allowed to DM the bot; empty means anyone (`dmPolicy: 'open'`). */
  readonly allowFrom?: readonly (string | number)[];
}

export interface OpenClawConfigInput {
  readonly tenantId: string;
  readonly paths: {
    /** Agent workspace (AGENTS.md, MEMORY.md, ...), normally `<stateDir>/workspace`. */
    readonly workspaceDir: string;
    /** Gateway log file; keep it inside the state dir's disposable part, not the shared system temp dir. */
    readonly logFile: string;
  };
  readonly gateway: {
    /** 127.0.0.1 → `bind: 'loopback'`; any other IPv4 → `bind: 'custom'`. */
    readonly host: string;
    readonly port: number;
    /** Addresses allowed to send X-Forwarded-For (the router / supervisor). */
    readonly trustedProxies?: readonly string[];
  };
  readonly provider: ModelProviderSettings;
  readonly telegram?: TelegramSettings;
  /** From common/tool-tiers.ts `resolveTenantTools`. @default the free tier's */
  readonly tools?: {
    /** @default 'messaging' */
    readonly profile?: ToolProfile;
    /** Tool names added on top of the profile (e.g. 'cron' for reminders). */
    readonly alsoAllow?: readonly string[];
    /** CONTROL_PLANE_TOOLS are always added. */
    readonly deny?: readonly string[];
  };
  /** Recurring heartbeat turns cost tokens and keep a tenant awake. @default false */
  readonly heartbeat?: false | { readonly every: string };
  /** The nightly memory "dreaming" sweep (a model-backed cron job). @default false */
  readonly dreaming?: boolean;
  /** The weekly Skill Workshop collection review (a model-backed cron job) and per-turn skill capture. @default false */
  readonly skillReview?: boolean;
  /** Serve `/v1/chat/completions` on the gateway port. @default true */
  readonly chatCompletions?: boolean;
}

/**
 * The `tools` section. Control-plane tools are denied whatever the input says.
 * When `exec` is granted it runs on the gateway's host, which is the tenant's
 * sandbox (local) or pod (Kubernetes), with no approval prompts: a chat tenant
 * has no one to approve them, and the boundary is the sandbox, not OpenClaw.
 */
function toolsSection(input: OpenClawConfigInput): Record<string, unknown> {
  const tools = input.tools ?? resolveTenantTools('free');
  const alsoAllow = tools.alsoAllow ?? [];
  const deny = [...new Set([...CONTROL_PLANE_TOOLS, ...(tools.deny ?? [])])];
  return {
    profile: tools.profile ?? 'messaging',
    ...(alsoAllow.length ? { alsoAllow: [...alsoAllow] } : {}),
    deny,
    // Direct schemas: a tenant's catalog is small (about 15 to 25 tools), where OpenClaw's deferred tool search
    // costs extra discovery turns instead of saving prompt tokens, and each tier's tools are what the model sees.
    toolSearch: false,
    ...(alsoAllow.includes('exec')
      ? {
          exec: {
            host: 'gateway',
            mode: 'full',
            strictInlineEval: false,
            timeoutSeconds: EXEC_TIMEOUT_SECONDS,
          },
        }
      : {}),
    // Elevated exec escapes OpenClaw's own sandbox onto the host; never for a tenant.
    elevated: { enabled: false },
  };
}

/** A chat turn should not hang on one command; the model can background longer work with `process`. */
const EXEC_TIMEOUT_SECONDS = 300;

function gatewaySection(input: OpenClawConfigInput): Record<string, unknown> {
  const { host, port, trustedProxies } = input.gateway;
  // `custom` binds also listen on 127.0.0.1:<port> (OpenClaw's rule for same-host clients),
  // so per-tenant loopback addresses still need distinct ports.
  const bind = host === '127.0.0.1' ? { bind: 'loopback' } : { bind: 'custom', customBindHost: host };
  return {
    mode: 'local',
    port,
    ...bind,
    // Token from OPENCLAW_GATEWAY_TOKEN: never written into the file.
    auth: { mode: 'token' },
    ...(trustedProxies?.length ? { trustedProxies: [...trustedProxies] } : {}),
    controlUi: { enabled: false },
    http: { endpoints: { chatCompletions: { enabled: input.chatCompletions ?? true } } },
  };
}

function telegramSection(telegram: TelegramSettings): Record<string, unknown> {
  const allowFrom = telegram.allowFrom?.map(String) ?? [];
  return {
    enabled: true,
    botToken: envRef(OPENCLAW_SECRET_ENV.telegramBotToken),
    ...(telegram.apiRoot ? { apiRoot: telegram.apiRoot } : {}),
    // The router already authenticated the tenant; pairing codes would strand the first DM.
    dmPolicy: allowFrom.length > 0 ? 'allowlist' : 'open',
    allowFrom: allowFrom.length > 0 ? allowFrom : ['*'],
    webhookUrl: telegram.webhookUrl,
    webhookSecret: envRef(OPENCLAW_SECRET_ENV.telegramWebhookSecret),
    webhookPath: telegram.webhookPath ?? '/telegram-webhook',
    webhookHost: telegram.webhookHost,
    webhookPort: telegram.webhookPort,
  };
}

/**
 * OpenClaw lets a chat turn create automations (cron jobs: reminders) only for
 * an owner named in `commands.ownerAllowFrom`; the channel's `allowFrom` alone
 * makes nobody an owner. The Telegram users a tenant lists are the people its
 * agent works for, so they own it. With open DMs (no list) there is no owner
 * and no one can schedule a reminder. `/restart` stays off: the supervisor
 * owns the gateway's restarts.
 */
function commandsSection(telegram: TelegramSettings | undefined): Record<string, unknown> {
  const owners = (telegram?.allowFrom ?? []).map((id) => `telegram:${String(id)}`);
  return { restart: false, ...(owners.length > 0 ? { ownerAllowFrom: owners } : {}) };
}

/** The complete `openclaw.json` for one tenant gateway. */
export function buildOpenClawConfig(input: OpenClawConfigInput): Record<string, unknown> {
  const { provider } = input;
  const heartbeatEvery = input.heartbeat ? input.heartbeat.every : '0m';
  return {
    gateway: gatewaySection(input),
    // A tenant gateway must not phone home: no update checks, no remote model catalog fetches.
    update: { checkOnStart: false },
    models: {
      mode: 'merge',
      catalogRefresh: { enabled: false },
      providers: {
        [provider.name]: {
          baseUrl: provider.baseUrl,
          apiKey: envRef(OPENCLAW_SECRET_ENV.modelToken),
          api: provider.api ?? 'openai-completions',
          models: [
            {
              id: provider.modelId,
              name: provider.modelName ?? provider.modelId,
              reasoning: false,
              input: ['text'],
              cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
              contextWindow: provider.contextWindow ?? 128_000,
              maxTokens: provider.maxTokens ?? 8192,
            },
          ],
        },
      },
    },
    agents: {
      defaults: {
        workspace: input.paths.workspaceDir,
        model: { primary: `${provider.name}/${provider.modelId}` },
        heartbeat: { every: heartbeatEvery },
        // No Docker sandbox inside a tenant: clawfleet's own sandbox (or pod) is the boundary.
        sandbox: { mode: 'off' },
      },
    },
    tools: toolsSection(input),
    // Both background jobs cost tokens and would wake a sleeping tenant; off unless the tier asks for them.
    plugins: {
      allow: tenantPlugins({ telegram: input.telegram !== undefined }),
      entries: { 'memory-core': { config: { dreaming: { enabled: input.dreaming ?? false } } } },
    },
    skills: { workshop: { autonomous: { mode: input.skillReview ? 'auto' : 'off' } } },
    commands: commandsSection(input.telegram),
    ...(input.telegram ? { channels: { telegram: telegramSection(input.telegram) } } : {}),
    logging: { file: input.paths.logFile, level: 'info' },
  };
}
