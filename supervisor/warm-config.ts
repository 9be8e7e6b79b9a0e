/**
 * A warm supervisor's own input (`warm.json`) and the rules that turn a
 * `POST /claim` body into the tenant's SupervisorConfig. Both runtimes use
 * this one claim protocol:
 *
 * - a warm pod (Kubernetes) listens where the tenant's supervisor will
 *   (`listen`), and its layout (`pod`) pins the claimed spec;
 * - a warm process on a host (local) listens on a unix socket in the
 *   runtime's private data dir (`socket`); the claim chooses the tenant's
 *   address and directory, and may name the tenant's log file.
 *
 * The claim carries the tenant's spec and secret values; the spec is checked
 * with `parseSpec`, the secrets with the same required-names rule as a cold
 * pod's mounted files. Problems name fields, never values.
 */
import { readFile } from 'node:fs/promises';
import Type from 'typebox';
import Value from 'typebox/value';
import { ClawfleetError, ConfigError } from '../common/errors.js';
import {
  parseSpec,
  secretsFromValues,
  SupervisorSpecSchema,
  type SupervisorConfig,
  type SupervisorSpec,
} from './supervisor-config.js';

export const WarmConfigSchema = Type.Object({
  /** Where a warm pod's server listens; the claimed supervisor must listen at the same place. */
  listen: Type.Optional(SupervisorSpecSchema.properties.listen),
  /** A host's warm process listens on this unix socket instead; the claim says where the tenant listens. */
  socket: Type.Optional(Type.String({ minLength: 1 })),
  /** The pool's claim token (a file from the pool's Secret): `Authorization: Bearer <token>`. */
  claimTokenFile: Type.String({ minLength: 1 }),
  /**
   * This pod's layout: facts about the pod and its image, not the tenant, so
   * the claimed spec is pinned to them whatever the claim says.
   */
  pod: Type.Optional(
    Type.Object({
      rootDir: Type.String({ minLength: 1 }),
      /** OpenClaw's gateway and webhook listener bind here (127.0.0.1: reachable only inside the pod). */
      gatewayHost: SupervisorSpecSchema.properties.gateway.properties.host,
      openclaw: Type.Object({ node: Type.String({ minLength: 1 }), entry: Type.String({ minLength: 1 }) }),
    }),
  ),
  logLevel: Type.String({ default: 'info' }),
});

export type WarmConfig = Type.Static<typeof WarmConfigSchema>;

export async function loadWarmConfig(path: string): Promise<WarmConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ConfigError([`warm config ${path}: ${(err as Error).message}`]);
  }
  const value = Value.Default(WarmConfigSchema, raw);
  if (!Value.Check(WarmConfigSchema, value))
    throw new ConfigError(
      [...Value.Errors(WarmConfigSchema, value)]
        .slice(0, 5)
        .map((e) => `${e.instancePath || '/'} ${e.message}`),
    );
  if (!value.listen === !value.socket)
    throw new ConfigError([`warm config ${path}: exactly one of "listen" and "socket" is required`]);
  return value;
}

/** A refused claim: the HTTP status and a message about the caller's input (never a secret). */
export class WarmClaimError extends ClawfleetError {
  constructor(
    code: 'UNAUTHORIZED' | 'ALREADY_CLAIMED' | 'BAD_CLAIM' | 'LISTEN_MISMATCH',
    readonly status: number,
    message: string,
  ) {
    super(code, message);
  }
}

/** What an accepted claim gives the warm supervisor. */
export interface Claim {
  readonly config: SupervisorConfig;
  /** Where a host's claimed process writes from now on (the tenant's log); absent for pods. */
  readonly logFile?: string;
  /** When the runtime sent the claim (epoch ms), logged for bench:wake's trace. */
  readonly sentAtMs?: number;
}

/**
 * `{ spec, secrets, logFile?, sentAtMs? }` → the tenant's config, or a
 * WarmClaimError (400 for a malformed body, 422 when a pod's spec would
 * listen anywhere but here). `arrivedAt` is the local address the claim
 * came in on.
 */
export function claimedConfig(warm: WarmConfig, body: unknown, arrivedAt: string | undefined): Claim {
  if (typeof body !== 'object' || body === null || !('spec' in body) || !('secrets' in body))
    throw new WarmClaimError('BAD_CLAIM', 400, 'body must be {"spec": {...}, "secrets": {...}}');
  const { spec: rawSpec, secrets: rawSecrets } = body;
  if (typeof rawSecrets !== 'object' || rawSecrets === null || Array.isArray(rawSecrets))
    throw new WarmClaimError('BAD_CLAIM', 400, 'secrets must be an object of name → value');
  let spec: SupervisorSpec;
  let secrets: SupervisorConfig['secrets'];
  try {
    spec = parseSpec(rawSpec);
    secrets = secretsFromValues(spec, rawSecrets as Record<string, unknown>);
  } catch (error) {
    if (error instanceof ConfigError) throw new WarmClaimError('BAD_CLAIM', 400, error.message);
    throw error;
  }
  const extra = body as { logFile?: unknown; sentAtMs?: unknown };
  if (extra.logFile !== undefined && (typeof extra.logFile !== 'string' || !warm.socket))
    throw new WarmClaimError('BAD_CLAIM', 400, 'logFile is a path, and only a host process takes one');
  const sentAtMs = typeof extra.sentAtMs === 'number' ? { sentAtMs: extra.sentAtMs } : {};
  const logFile = typeof extra.logFile === 'string' ? { logFile: extra.logFile } : {};
  // Secrets came in the claim: no directory to read them from.
  const { secretsDir: _unused, ...rest } = spec;
  if (warm.listen && !listensHere(spec.listen, warm.listen, arrivedAt))
    throw new WarmClaimError(
      'LISTEN_MISMATCH',
      422,
      `spec listens on ${spec.listen.host}:${spec.listen.port}, this warm pod on ${warm.listen.host}:${warm.listen.port}`,
    );
  const { pod } = warm;
  const pinned = pod
    ? {
        ...rest,
        rootDir: pod.rootDir,
        gateway: { ...spec.gateway, host: pod.gatewayHost },
        openclaw: { ...spec.openclaw, node: pod.openclaw.node, entry: pod.openclaw.entry },
      }
    : rest;
  return { config: { spec: pinned, secrets }, ...logFile, ...sentAtMs };
}

/**
 * The claimed supervisor takes over this port, and the caller publishes the
 * address it claimed us at as the tenant's endpoint. A warm server on every
 * address of the pod (0.0.0.0) also accepts the pod IP the claim arrived at.
 */
function listensHere(
  wanted: SupervisorSpec['listen'],
  warm: NonNullable<WarmConfig['listen']>,
  arrivedAt: string | undefined,
): boolean {
  if (wanted.port !== warm.port) return false;
  if (wanted.host === warm.host) return true;
  return warm.host === '0.0.0.0' && wanted.host === arrivedAt?.replace(/^::ffff:/, '');
}
