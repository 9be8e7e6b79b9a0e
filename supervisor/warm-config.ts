/**
 * A warm pod's own input (`warm.json`, mounted from the pool's Secret) and
 * the rules that turn a `POST /claim` body into the tenant's SupervisorConfig.
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
  /** Where the warm server listens; the claimed supervisor must listen at the same place. */
  listen: SupervisorSpecSchema.properties.listen,
  /** The pool's claim token (a file from the pool's Secret): `Authorization: Bearer <token>`. */
  claimTokenFile: Type.String({ minLength: 1 }),
  /**
   * This pod's layout: facts about the pod and its image, not the tenant, so
   * the claimed spec is pinned to them whatever the claim says.
   */
  pod: Type.Object({
    rootDir: Type.String({ minLength: 1 }),
    /** OpenClaw's gateway and webhook listener bind here (127.0.0.1: reachable only inside the pod). */
    gatewayHost: SupervisorSpecSchema.properties.gateway.properties.host,
    openclaw: Type.Object({ node: Type.String({ minLength: 1 }), entry: Type.String({ minLength: 1 }) }),
  }),
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

/**
 * `{ spec, secrets }` → the tenant's config, or a WarmClaimError (400 for a
 * malformed body, 422 when the spec would listen anywhere but here).
 * `arrivedAt` is the local address the claim came in on.
 */
export function claimedConfig(
  warm: WarmConfig,
  body: unknown,
  arrivedAt: string | undefined,
): SupervisorConfig {
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
  if (!listensHere(spec.listen, warm.listen, arrivedAt))
    throw new WarmClaimError(
      'LISTEN_MISMATCH',
      422,
      `spec listens on ${spec.listen.host}:${spec.listen.port}, this warm pod on ${warm.listen.host}:${warm.listen.port}`,
    );
  // Secrets came in the claim: no directory to read them from.
  const { secretsDir: _unused, ...rest } = spec;
  return {
    spec: {
      ...rest,
      rootDir: warm.pod.rootDir,
      gateway: { ...spec.gateway, host: warm.pod.gatewayHost },
      openclaw: { ...spec.openclaw, node: warm.pod.openclaw.node, entry: warm.pod.openclaw.entry },
    },
    secrets,
  };
}

/**
 * The claimed supervisor takes over this port, and the caller publishes the
 * address it claimed us at as the tenant's endpoint. A warm server on every
 * address of the pod (0.0.0.0) also accepts the pod IP the claim arrived at.
 */
function listensHere(
  wanted: SupervisorSpec['listen'],
  warm: WarmConfig['listen'],
  arrivedAt: string | undefined,
): boolean {
  if (wanted.port !== warm.port) return false;
  if (wanted.host === warm.host) return true;
  return warm.host === '0.0.0.0' && wanted.host === arrivedAt?.replace(/^::ffff:/, '');
}
