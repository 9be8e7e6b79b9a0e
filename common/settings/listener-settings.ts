/**
 * Settings of the listeners operators and users call: the public router,
 * the admin API, and the `clawfleet` CLI.
 * One group of common/config.ts's SETTINGS each: `env` names the variable,
 * `description` feeds the README table.
 */
import Type from 'typebox';
import { Duration, Port } from './setting-kinds.js';

/** The public listener (`router/`). */
export const ROUTER_SETTINGS = {
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
} as const;

/** The admin API (`admin/`). */
export const ADMIN_SETTINGS = {
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
} as const;

/** The `clawfleet` CLI only. */
export const CLI_SETTINGS = {
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
} as const;
