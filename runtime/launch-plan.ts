/**
 * Turns "start this tenant" (the runtime port's PodSpec, the tenant's registry
 * record and the platform settings) into what the supervisor reads: its spec
 * (non-secret, written as spec.json) and its secret values (env vars locally,
 * a mounted Secret on Kubernetes). Both runtimes use this, so a tenant gets
 * the same agent config wherever it runs. Secret values are fetched through
 * `resolveSecret` and returned separately: never put them into the spec.
 */
import type { PodSpec } from '../activities/ports.js';
import type { GraceChain } from '../common/grace.js';
import { PermanentPortError } from '../activities/errors.js';
import { modelBearer } from '../common/model-token.js';
import { resolveTenantTools } from '../common/tool-tiers.js';
import type { TenantRecord } from '../registry/tenant-record.js';
import type { TenantTier } from '../workflows/types.js';
import type { PodSecrets, SupervisorSpec } from '../supervisor/supervisor-config.js';
import { tenantWebhookUrl } from '../telegram/registration.js';
import { tierMemorySpec } from './tier-memory.js';

/** Where the tenant's supervisor, gateway and webhook listener bind. */
export interface Placement {
  /** The address the supervisor and OpenClaw bind (127.0.0.x locally, 0.0.0.0 in a pod). */
  readonly host: string;
  readonly supervisorPort: number;
  readonly gatewayPort: number;
  readonly webhookPort: number;
}

/** Platform-wide settings every tenant agent shares (from the worker's Config). */
export interface PlatformAgentSettings {
  readonly openclaw: { readonly node: string; readonly entry: string };
  /**
   * The agent's one model provider: the model gateway (`gatewayUrl`), which
   * holds every provider key in the control plane; the agent holds only its
   * model token, and `provider` is just the name in OpenClaw's config.
   */
  readonly model: { readonly provider: string; readonly gatewayUrl: string; readonly modelId: string };
  readonly telegramApiRoot: string;
  /** Router base URL; Telegram posts to `<publicUrl>/tg/<tenantId>`. */
  readonly publicUrl: string;
  /** The tenant's snapshot grant, serialized (snapshots/grant.ts): its only way into the snapshot store. */
  readonly snapshotGrant: (tenantId: string, latestSeq: number | null) => Promise<string>;
  /** The tenant's forwarding key, base64url (registry/secret-store.ts `forwardKey`): checks the router's forwards. */
  readonly forwardKey: (tenantId: string) => Promise<string>;
  readonly logLevel: string;
  /** Where supervisors export spans (`telemetry.otlpEndpoint`); empty leaves them untraced. */
  readonly otlpEndpoint?: string;
  /** The stop grace chain (common/grace.ts): the drain budget and the final snapshot's reserve in it. */
  readonly grace: Pick<GraceChain, 'supervisorDrainMs' | 'snapshotReserveMs'>;
  /** `runtime.recycleRssMb`: every tier's recycle limit when set, else 0 (each tier's own, runtime/tier-memory.ts). */
  readonly recycleRssMb?: number;
}

export interface LaunchPlanInput {
  readonly pod: PodSpec;
  readonly tenant: TenantRecord;
  readonly placement: Placement;
  /** The supervisor's root (state, home, tmp, work); mode 700. */
  readonly rootDir: string;
  readonly platform: PlatformAgentSettings;
  /** A tenant secret by name, or null when it is not set. */
  readonly resolveSecret: (name: string) => Promise<string | null>;
}

export interface LaunchPlan {
  readonly spec: SupervisorSpec;
  readonly secrets: PodSecrets;
}

/**
 * Background model work (heartbeat, dreaming, skill review) wakes a sleeping
 * tenant and spends tokens, so it is off unless a tier pays for it; the
 * tenant's own cron jobs still run through the workflow's scheduled wakes.
 * Tools per tier live in common/tool-tiers.ts.
 */
const TIER_AGENT: Readonly<Record<TenantTier, Pick<SupervisorSpec, 'background'> & { maxTokens: number }>> = {
  free: { background: { dreaming: false, skillReview: false }, maxTokens: 2048 },
  standard: { background: { dreaming: false, skillReview: false }, maxTokens: 4096 },
  pro: { background: { dreaming: false, skillReview: false }, maxTokens: 8192 },
};

/** Secret store names (registry/secret-store.ts SECRET_NAMES) of the tokens the supervisor needs. */
const STORE_NAMES = {
  supervisorToken: 'supervisor-token',
  gatewayToken: 'gateway-token',
  modelToken: 'model-token',
  telegramBotToken: 'telegram-bot-token',
  telegramWebhookSecret: 'telegram-webhook-secret',
} as const;

export async function buildLaunchPlan(input: LaunchPlanInput): Promise<LaunchPlan> {
  const { pod, tenant, placement, platform, resolveSecret } = input;
  const named = (use: keyof typeof STORE_NAMES) => tenant.secretRefs[use] ?? STORE_NAMES[use];
  // Issued alongside the secret look-ups (S3 listing and presigning); awaited once the secrets check out.
  const grant = platform.snapshotGrant(pod.tenantId, pod.snapshotSeq);
  const forwardKey = platform.forwardKey(pod.tenantId);
  // A missing secret below is the error to report, not these.
  for (const pending of [grant, forwardKey]) pending.catch(() => undefined);
  // No provider key is looked up here: the tenant's `model-<provider>` secret stays with the model gateway.
  const [supervisorToken, gatewayToken, modelSecret, botToken, webhookSecret] = await Promise.all([
    resolveSecret(named('supervisorToken')),
    resolveSecret(named('gatewayToken')),
    resolveSecret(named('modelToken')),
    resolveSecret(named('telegramBotToken')),
    resolveSecret(named('telegramWebhookSecret')),
  ]);
  const missing = [
    ...(supervisorToken ? [] : ['supervisor-token']),
    ...(gatewayToken ? [] : ['gateway-token']),
    ...(modelSecret ? [] : ['model-token']),
  ];
  if (missing.length > 0)
    throw new PermanentPortError(
      'TENANT_SECRETS_MISSING',
      `tenant ${pod.tenantId} lacks ${missing.join(', ')}`,
    );

  // Telegram is on when the record says so, or (unset) as soon as the tenant has a bot token.
  const telegramWanted = tenant.channels.telegram?.enabled ?? botToken !== null;
  if (telegramWanted && (!botToken || !webhookSecret))
    throw new PermanentPortError(
      'TENANT_SECRETS_MISSING',
      `tenant ${pod.tenantId} has Telegram enabled but no bot token or webhook secret`,
    );
  const tier = TIER_AGENT[pod.tier];
  const spec: SupervisorSpec = {
    tenantId: pod.tenantId,
    podId: pod.podId,
    listen: { host: placement.host, port: placement.supervisorPort },
    gateway: { host: placement.host, port: placement.gatewayPort },
    rootDir: input.rootDir,
    openclaw: { version: pod.openclawVersion, ...platform.openclaw },
    provider: {
      name: platform.model.provider,
      baseUrl: platform.model.gatewayUrl,
      modelId: platform.model.modelId,
      maxTokens: tier.maxTokens,
    },
    ...(telegramWanted
      ? {
          telegram: {
            webhookUrl: tenantWebhookUrl(platform.publicUrl, pod.tenantId),
            webhookPort: placement.webhookPort,
            apiRoot: platform.telegramApiRoot,
            ...(tenant.channels.telegram?.allowFrom ? { allowFrom: tenant.channels.telegram.allowFrom } : {}),
          },
        }
      : {}),
    background: tier.background,
    memory: tierMemorySpec(pod.tier, platform.recycleRssMb),
    // The tier's tools with the tenant's registry override applied (read at every launch).
    tools: resolveTenantTools(pod.tier, tenant.tools),
    snapshots: pod.snapshotSeq !== null ? { latestSeq: pod.snapshotSeq } : {},
    // 500 ms: past the 300 ms in which a dead gateway's helpers are swept (gateway-child.ts); OpenClaw's boot is the rest.
    crashLoop: { maxCrashes: 3, windowMs: 600_000, backoffMs: 500 },
    readyTimeoutMs: 180_000,
    shutdownGraceMs: platform.grace.supervisorDrainMs,
    snapshotReserveMs: platform.grace.snapshotReserveMs,
    logLevel: platform.logLevel,
    ...(platform.otlpEndpoint ? { otlpEndpoint: platform.otlpEndpoint } : {}),
  };
  const secrets: PodSecrets = {
    supervisorToken: supervisorToken!,
    gatewayToken: gatewayToken!,
    modelToken: modelBearer(pod.tenantId, modelSecret!),
    ...(telegramWanted ? { telegramBotToken: botToken!, telegramWebhookSecret: webhookSecret! } : {}),
    snapshotGrant: await grant,
    forwardKey: await forwardKey,
  };
  return { spec, secrets };
}
