/**
 * The supervisor's own typed input. Non-secret settings come from a JSON spec
 * file (its path is the one command-line argument), written by the runtime
 * that launches the pod; secret values come from files in a secrets directory
 * (a mounted Kubernetes Secret) or from `CLAWFLEET_POD_*` environment
 * variables (pod-secrets.ts), so they never sit in the spec, in argv or in a
 * log line. This is the only pod module that reads the environment.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Type from 'typebox';
import Value from 'typebox/value';
import { ConfigError } from '../common/errors.js';
import { isValidTenantId } from '../common/ids.js';
import { loadSecrets, type PodSecrets } from './pod-secrets.js';
import type { EgressForward } from './sandbox-egress.js';

export {
  loadSecrets,
  SECRET_SOURCES,
  secretsFromValues,
  type PodSecrets,
  type SecretName,
} from './pod-secrets.js';

const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const Host = Type.String({ pattern: '^\\d{1,3}(\\.\\d{1,3}){3}$' });

export const SupervisorSpecSchema = Type.Object({
  tenantId: Type.String(),
  /** This pod (`<tenantId>-<generation>`): the router's signed forwards name it, so another pod refuses them. */
  podId: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,80}$' })),
  /** Where the supervisor API listens: the tenant's own address (pod IP or 127.0.0.x). */
  listen: Type.Object({ host: Host, port: Port }),
  /** OpenClaw's gateway port; the Telegram webhook listener binds the same host. */
  gateway: Type.Object({
    host: Host,
    port: Port,
    trustedProxies: Type.Optional(Type.Array(Type.String())),
  }),
  /** Holds `state/` (OPENCLAW_STATE_DIR), `home/`, `tmp/` and `work/`; created mode 700. */
  rootDir: Type.String({ minLength: 1 }),
  openclaw: Type.Object({
    version: Type.String(),
    /** Node >= 24.16 that runs `entry`. */
    node: Type.String(),
    /** `node_modules/openclaw/openclaw.mjs` of the install (dev/openclaw-install.ts). */
    entry: Type.String(),
  }),
  provider: Type.Object({
    name: Type.String(),
    baseUrl: Type.String(),
    modelId: Type.String(),
    api: Type.Optional(
      Type.Union([
        Type.Literal('openai-completions'),
        Type.Literal('openai-responses'),
        Type.Literal('anthropic-messages'),
      ]),
    ),
    contextWindow: Type.Optional(Type.Integer({ minimum: 1 })),
    maxTokens: Type.Optional(Type.Integer({ minimum: 1 })),
  }),
  telegram: Type.Optional(
    Type.Object({
      webhookUrl: Type.String(),
      webhookPort: Port,
      webhookPath: Type.Optional(Type.String({ pattern: '^/' })),
      apiRoot: Type.Optional(Type.String()),
      allowFrom: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Number()]))),
    }),
  ),
  /** Per-tier: background model work is off unless the tier pays for it. */
  background: Type.Optional(
    Type.Object({
      heartbeatEvery: Type.Optional(Type.String()),
      dreaming: Type.Optional(Type.Boolean()),
      skillReview: Type.Optional(Type.Boolean()),
    }),
  ),
  tools: Type.Optional(
    Type.Object({
      profile: Type.Optional(
        Type.Union([
          Type.Literal('minimal'),
          Type.Literal('messaging'),
          Type.Literal('coding'),
          Type.Literal('full'),
        ]),
      ),
      alsoAllow: Type.Optional(Type.Array(Type.String())),
      deny: Type.Optional(Type.Array(Type.String())),
    }),
  ),
  /**
   * Per tier (runtime/tier-memory.ts): OpenClaw's Node and V8 settings, applied at every gateway start, and
   * the summed RSS over which an idle tenant is recycled (reported in `GET /activity`; 0: never).
   */
  memory: Type.Optional(
    Type.Object({
      /** Before the entry script on Node's command line: V8 flags are process-wide, so they bind every worker thread. */
      v8Flags: Type.Array(Type.String({ pattern: '^--[a-z0-9-]+(=[A-Za-z0-9._-]+)?$' })),
      env: Type.Record(Type.String({ pattern: '^[A-Z][A-Z0-9_]*$' }), Type.String()),
      recycleRssMb: Type.Integer({ minimum: 0 }),
    }),
  ),
  /**
   * Where the bucket is, which keys and which data keys the supervisor may use
   * all travel in the `snapshotGrant` secret (snapshots/grant.ts): no S3
   * credentials and no master key ever reach a tenant pod.
   */
  snapshots: Type.Object(
    {
      /** The registry's forward-only pointer; restore never goes past it. */
      latestSeq: Type.Optional(Type.Integer({ minimum: 0 })),
    },
    { default: {} },
  ),
  crashLoop: Type.Object(
    {
      /** Crashes within `windowMs` after which the supervisor stops restarting. */
      maxCrashes: Type.Integer({ minimum: 1, default: 3 }),
      windowMs: Type.Integer({ minimum: 1, default: 600_000 }),
      /** First restart delay; doubles per crash in the window (past the 300 ms sweep of a dead gateway's helpers). */
      backoffMs: Type.Integer({ minimum: 0, default: 500 }),
    },
    { default: {} },
  ),
  /** Gateway start to `/readyz` 200 is 9–22 s on 2 cores; generous for busy hosts. */
  readyTimeoutMs: Type.Integer({ minimum: 1, default: 120_000 }),
  /**
   * The grace the runtime gives the supervisor between SIGTERM and SIGKILL
   * (TenantSettings.stopGraceMs, Kubernetes terminationGracePeriodSeconds).
   * OpenClaw would drain in-flight runs for up to 315 s; it gets this grace
   * minus `snapshotReserveMs`, so the final snapshot still fits.
   */
  shutdownGraceMs: Type.Integer({ minimum: 1, default: 30_000 }),
  /** Kept for the final snapshot (measured ~0.5 s for a 100 KB state; more for large workspaces). */
  snapshotReserveMs: Type.Integer({ minimum: 0, default: 10_000 }),
  /** Secret files directory; each secret is `<secretsDir>/<name>` unless its env var is set. */
  secretsDir: Type.Optional(Type.String()),
  logLevel: Type.String({ default: 'info' }),
  /** OTLP/HTTP collector for the supervisor's spans (common/tracing.ts); absent, the pod is untraced. */
  otlpEndpoint: Type.Optional(Type.String({ minLength: 1 })),
});

export type SupervisorSpec = Type.Static<typeof SupervisorSpecSchema>;

export interface SupervisorConfig {
  readonly spec: SupervisorSpec;
  readonly secrets: PodSecrets;
  /** Set when a local runtime started us in a sandbox (local/sandbox/). */
  readonly sandbox?: SandboxSockets;
}

/** What a sandboxed supervisor is handed: its listening socket, and where each egress forward listens. */
export interface SandboxSockets {
  /** An inherited socket already listening on the tenant's address in the host's network namespace. */
  readonly listenFd: number;
  readonly egress: readonly EgressForward[];
}

/** `CLAWFLEET_LISTEN_FD` and `CLAWFLEET_SANDBOX_EGRESS` (JSON), set together by the sandbox launcher. */
export function sandboxFromEnv(env: NodeJS.ProcessEnv): SandboxSockets | undefined {
  const fd = env['CLAWFLEET_LISTEN_FD'];
  if (fd === undefined) return undefined;
  const egress = JSON.parse(env['CLAWFLEET_SANDBOX_EGRESS'] ?? '[]') as EgressForward[];
  return { listenFd: Number(fd), egress };
}

/** Validate a parsed spec; problems name fields, never values. */
export function parseSpec(value: unknown): SupervisorSpec {
  const withDefaults = Value.Default(SupervisorSpecSchema, structuredClone(value));
  if (!Value.Check(SupervisorSpecSchema, withDefaults)) {
    const problems = [...Value.Errors(SupervisorSpecSchema, withDefaults)]
      .slice(0, 5)
      .map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new ConfigError(problems);
  }
  if (!isValidTenantId(withDefaults.tenantId)) throw new ConfigError(['/tenantId is not a valid tenant id']);
  return withDefaults;
}

/** Load the spec file and the secrets it points at. */
export async function loadSupervisorConfig(
  specPath: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SupervisorConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(specPath, 'utf8'));
  } catch (err) {
    throw new ConfigError([`spec file ${specPath}: ${(err as Error).message}`]);
  }
  const spec = parseSpec(raw);
  const sandbox = sandboxFromEnv(env);
  return { spec, secrets: await loadSecrets(spec, env), ...(sandbox && { sandbox }) };
}

/** The directories under `rootDir`. */
export function podPaths(spec: SupervisorSpec) {
  const root = spec.rootDir;
  return {
    root,
    stateDir: join(root, 'state'),
    home: join(root, 'home'),
    tmp: join(root, 'tmp'),
    /** Scratch for backups and snapshot spooling; never archived. */
    work: join(root, 'work'),
  };
}
