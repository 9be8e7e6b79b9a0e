/**
 * Settings of what tenants and the control plane reach outside: model
 * upstreams, prices and quotas, the model gateway, traces and metrics, and
 * the Telegram Bot API.
 * One group of common/config.ts's SETTINGS each: `env` names the variable,
 * `description` feeds the README table.
 */
import Type from 'typebox';
import { Port } from './setting-kinds.js';

/** Model upstreams, prices and quotas: the model gateway meters and enforces them; the worker writes the provider and model into tenant configs. */
export const MODEL_SETTINGS = {
  provider: {
    env: 'CLAWFLEET_MODEL_PROVIDER',
    schema: Type.String({
      default: 'openai',
      pattern: '^[a-z0-9][a-z0-9-]{0,30}$',
      description:
        "The default model upstream's name (the provider name in every tenant's OpenClaw config, whose base URL is the model gateway); a tenant's own key for it is its secret `model-<provider>`, else the gateway uses the platform key file.",
    }),
  },
  baseUrl: {
    env: 'CLAWFLEET_MODEL_BASE_URL',
    schema: Type.String({
      default: 'https://api.openai.com/v1',
      description:
        'OpenAI-compatible base URL of the default upstream the model gateway calls (the fake LLM with `clawfleet dev --offline`); tenant agents call the gateway, never this.',
    }),
  },
  id: {
    env: 'CLAWFLEET_MODEL_ID',
    schema: Type.String({ default: 'gpt-5-mini', description: 'Model id tenant agents use by default.' }),
  },
  apiKeyFile: {
    env: 'CLAWFLEET_MODEL_API_KEY_FILE',
    schema: Type.String({
      default: '',
      description:
        'Platform model API key file (mode 600) the model gateway uses for tenants without their own `model-<provider>` secret (no tenant process ever reads it); empty means `<data dir>/keys/model-api.key` if it exists.',
    }),
  },
  upstreams: {
    env: 'CLAWFLEET_MODEL_UPSTREAMS',
    schema: Type.String({
      default: '',
      description:
        'Model gateway upstreams, `name=baseUrl,...` (OpenAI-compatible); empty means `<model provider>=<model base URL>`. Platform key of upstream `name`: `<data dir>/keys/model-<name>.key` (the model API key file for the default provider); a tenant secret `model-<name>` is its own key instead.',
    }),
  },
  allowlist: {
    env: 'CLAWFLEET_MODEL_ALLOWLIST',
    schema: Type.String({
      default: '',
      description:
        'Models each tier may call through the gateway, `tier=upstream/model+upstream/*,...` (`*` is every model); a tier not named may call every model. Empty means no restriction.',
    }),
  },
  prices: {
    env: 'CLAWFLEET_MODEL_PRICES',
    schema: Type.String({
      default: '',
      description:
        'Price table for usage cost: a JSON file path, or inline JSON `{"upstream/model": {"input": 0.25, "output": 2, "cachedInput": 0.025}}` in USD per million tokens (`upstream/*` matches any model of it). Empty means every model costs 0.',
    }),
  },
  tierQuotas: {
    env: 'CLAWFLEET_TIER_QUOTAS',
    schema: Type.String({
      default: '',
      description:
        'Quota defaults per tier over the built-in ones (common/quotas.ts), inline JSON `{"free": {"tokensPerDay": 50000}}`; a tenant\'s own `quotas` override these. Docs: docs/operations.md "Quotas".',
    }),
  },
} as const;

/** The model gateway (`gateway/`): where it listens, and where tenants reach it. */
export const GATEWAY_SETTINGS = {
  host: {
    env: 'CLAWFLEET_GATEWAY_HOST',
    schema: Type.String({
      default: '127.0.0.1',
      description:
        'Address the model gateway (`gateway/server.ts`) binds: reachable from tenant processes and pods, never the public listener.',
    }),
  },
  port: {
    env: 'CLAWFLEET_GATEWAY_PORT',
    schema: Port(8082, 'Model gateway listener: the OpenAI-compatible endpoint tenant agents use.'),
  },
  url: {
    env: 'CLAWFLEET_GATEWAY_URL',
    schema: Type.String({
      default: '',
      description:
        "The model base URL written into every tenant's OpenClaw config; empty means `http://<gateway host>:<gateway port>/v1` (on Kubernetes, the gateway Service).",
    }),
  },
  metricsPort: {
    env: 'CLAWFLEET_GATEWAY_METRICS_PORT',
    schema: Port(
      8083,
      "Model gateway's Prometheus `/metrics` listener, on the router host (tenants never reach it).",
    ),
  },
} as const;

/** Traces and metrics of the control plane (docs/operations.md: Tracing, Metrics). */
export const TELEMETRY_SETTINGS = {
  otlpEndpoint: {
    env: 'CLAWFLEET_OTLP_ENDPOINT',
    schema: Type.String({
      default: '',
      description:
        'OTLP/HTTP collector base URL (`http://collector:4318`; spans go to `/v1/traces` as JSON) for the traces of the router, worker, workflows, activities and tenant supervisors; empty turns tracing off (no SDK is started). `clawfleet dev --otlp <url>` sets it; sandboxed local tenants may reach it.',
    }),
  },
  workerMetricsHost: {
    env: 'CLAWFLEET_WORKER_METRICS_HOST',
    schema: Type.String({
      default: '127.0.0.1',
      description:
        "Address of the worker's Prometheus `/metrics` listener (loopback unless a scraper elsewhere needs it).",
    }),
  },
  workerMetricsPort: {
    env: 'CLAWFLEET_WORKER_METRICS_PORT',
    schema: Port(8084, "Worker's Prometheus `/metrics` listener: wakes, snapshots, evictions, relaunches."),
  },
} as const;

/** The Telegram Bot API root (worker, admin API, tenant agents). */
export const TELEGRAM_SETTINGS = {
  apiRoot: {
    env: 'CLAWFLEET_TELEGRAM_API_ROOT',
    schema: Type.String({
      default: 'https://api.telegram.org',
      description:
        'Telegram Bot API root tenant agents and the control plane (token checks, webhook registration) call (the fake Bot API with `clawfleet dev --offline`).',
    }),
  },
} as const;
