/**
 * TypeBox schemas of the admin API: they validate requests (400 with
 * problem+json), shape responses (fields not in a response schema are never
 * serialised, a second guard against leaking hashes or secrets) and feed the
 * OpenAPI document. The usage reports are in usage-schemas.ts, the
 * Telegram answers in telegram-schemas.ts.
 */
import Type from 'typebox';
import { TENANT_ID_PATTERN } from '../common/ids.js';
import { ChannelConfigSchema, TenantQuotasSchema, TenantToolsSchema } from '../registry/tenant-record.js';
import { LIMITS, OPENCLAW_VERSION_PATTERN } from '../workflows/shared.js';
import { TelegramChange, TelegramConnection } from './telegram-schemas.js';

export const TenantId = Type.String({ pattern: TENANT_ID_PATTERN.source, description: 'Tenant id' });
export const Tier = Type.Union([Type.Literal('free'), Type.Literal('standard'), Type.Literal('pro')]);
export const Status = Type.Union([
  Type.Literal('active'),
  Type.Literal('suspended'),
  Type.Literal('failed'),
  Type.Literal('offboarding'),
]);
export const Phase = Type.Union([
  Type.Literal('asleep'),
  Type.Literal('waking'),
  Type.Literal('running'),
  Type.Literal('draining'),
  Type.Literal('paused'),
  Type.Literal('suspended'),
  Type.Literal('failed'),
  Type.Literal('offboarding'),
  Type.Literal('deleted'),
]);
const IdleTimeoutMs = Type.Integer({
  minimum: LIMITS.idleTimeoutMs.min,
  maximum: LIMITS.idleTimeoutMs.max,
  description: 'Idle time before the tenant sleeps, in milliseconds',
});
export const OpenClawVersion = Type.String({ pattern: OPENCLAW_VERSION_PATTERN.source });
export const SecretName = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' });
const SecretValue = Type.String({ minLength: 1, maxLength: 8192 });

export const IdParams = Type.Object({ id: TenantId });
export const SecretParams = Type.Object({ id: TenantId, name: SecretName });
export const ApiKeyParams = Type.Object({
  id: TenantId,
  keyId: Type.String({ pattern: '^[a-z0-9]{1,32}$' }),
});
export const SeqParams = Type.Object({ id: TenantId, seq: Type.Integer({ minimum: 1 }) });

export const CreateTenantBody = Type.Object(
  {
    tenantId: TenantId,
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    tier: Type.Optional(Tier),
    idleTimeoutMs: Type.Optional(IdleTimeoutMs),
    openclawVersion: Type.Optional(OpenClawVersion),
    quotas: Type.Optional(TenantQuotasSchema),
    channels: Type.Optional(ChannelConfigSchema),
    /** Tools added to (`allow`) or removed from (`deny`) the tier's defaults, from a closed list. */
    tools: Type.Optional(TenantToolsSchema),
    /** Secrets supplied at creation (e.g. `telegram-bot-token`, `model-openai`); stored encrypted. */
    secrets: Type.Optional(Type.Record(SecretName, SecretValue, { maxProperties: 20 })),
  },
  { additionalProperties: false },
);
export type CreateTenantInput = Type.Static<typeof CreateTenantBody>;

export const PatchTenantBody = Type.Object(
  {
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    tier: Type.Optional(Tier),
    idleTimeoutMs: Type.Optional(IdleTimeoutMs),
    /** Setting a version pins it (fleet upgrades skip the tenant); `openclawPinned: false` releases the pin. */
    openclawVersion: Type.Optional(OpenClawVersion),
    openclawPinned: Type.Optional(Type.Boolean()),
    quotas: Type.Optional(TenantQuotasSchema),
    channels: Type.Optional(ChannelConfigSchema),
    /** Replaces the tenant's tool override (`{}` returns to the tier's defaults); applies at the next wake. */
    tools: Type.Optional(TenantToolsSchema),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchTenantInput = Type.Static<typeof PatchTenantBody>;

export const ListQuery = Type.Object(
  {
    status: Type.Optional(Status),
    tier: Type.Optional(Tier),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    cursor: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const SuspendBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: LIMITS.reasonLength }) },
  { additionalProperties: false },
);
export const DeleteQuery = Type.Object(
  {
    dryRun: Type.Optional(Type.Boolean({ default: false })),
    graceDays: Type.Optional(Type.Integer({ minimum: LIMITS.graceDays.min, maximum: LIMITS.graceDays.max })),
  },
  { additionalProperties: false },
);
export const SecretBody = Type.Object({ value: SecretValue }, { additionalProperties: false });
export const RotateBody = Type.Object(
  { webhookSecret: Type.Optional(Type.Boolean({ default: false })) },
  { additionalProperties: false },
);
export const LogsQuery = Type.Object(
  {
    lines: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 200 })),
    follow: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);
export const TokenBody = Type.Object(
  {
    scope: Type.String({ pattern: '^(platform|tenant:[a-z0-9][a-z0-9-]{1,62})$' }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
  },
  { additionalProperties: false },
);
export const TokenParams = Type.Object({ tokenId: Type.String({ pattern: '^[a-z0-9]{12}$' }) });

/** A tenant as the API shows it: the record without credential hashes. */
export const TenantView = Type.Object({
  tenantId: Type.String(),
  displayName: Type.String(),
  tier: Tier,
  status: Status,
  idleTimeoutMs: Type.Integer(),
  quotas: TenantQuotasSchema,
  openclawVersion: Type.String(),
  /** Fleet upgrades skip a pinned tenant. */
  openclawPinned: Type.Boolean(),
  channels: ChannelConfigSchema,
  /** The tenant's override of its tier's tools (`{}` when none). */
  tools: TenantToolsSchema,
  /** The tools its agent gets on top of OpenClaw's messaging profile: the tier's, with the override applied. */
  effectiveTools: Type.Array(Type.String()),
  secretNames: Type.Array(Type.String()),
  apiKeyIds: Type.Array(Type.String()),
  webhookSecretSet: Type.Boolean(),
  latestSnapshotSeq: Type.Union([Type.Integer(), Type.Null()]),
  /** Username of the bot behind `telegram-bot-token` (from `getMe` when it was stored). */
  telegramBot: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  lastActiveAt: Type.String(),
  version: Type.Integer(),
});
export type TenantViewData = Type.Static<typeof TenantView>;

const MaybeInteger = Type.Union([Type.Integer(), Type.Null()]);
/** uid, limits and memory in use now are null while the tenant sleeps, and always with the sandbox off. */
export const SandboxViewSchema = Type.Object({
  mode: Type.Union([Type.Literal('on'), Type.Literal('off')]),
  uid: MaybeInteger,
  limits: Type.Union([
    Type.Object({
      memoryHighBytes: Type.Integer(),
      memoryMaxBytes: Type.Integer(),
      cpuShares: Type.Integer(),
      cpuMilliCores: Type.Integer(),
      pidsMax: Type.Integer(),
      /** The tenant dir's disk budget (a loop-mounted image while awake). */
      diskBytes: Type.Integer(),
    }),
    Type.Null(),
  ]),
  memoryBytes: MaybeInteger,
});

export const TenantDetail = Type.Object({
  tenant: TenantView,
  /** Phase from the workflow's search attributes (no worker needed); null when no workflow exists. */
  phase: Type.Union([Phase, Type.Null()]),
  /** The workflow's `describe()` answer, or null when no worker answered in time. */
  live: Type.Union([Type.Unknown(), Type.Null()]),
  /** Quotas that refused the tenant today (UTC), most recent first: which budget an operator should look at. */
  quotaHits: Type.Array(
    Type.Object({
      kind: Type.String(),
      day: Type.String(),
      lastAt: Type.String(),
      limit: Type.Number(),
      hits: Type.Integer(),
    }),
  ),
  /** The Telegram connection as Telegram reports it; null when the tenant has no bot token. */
  telegram: Type.Union([TelegramConnection, Type.Null()]),
  /** The local runtime's sandbox (docs/security.md); null on Kubernetes. */
  sandbox: Type.Union([SandboxViewSchema, Type.Null()]),
});

export const CreatedTenant = Type.Object({
  tenant: TenantView,
  workflowId: Type.String(),
  /** The chat API key, shown only in this response (absent on an idempotent replay). */
  apiKey: Type.Optional(Type.Object({ keyId: Type.String(), apiKey: Type.String() })),
  apiKeyId: Type.String(),
  /** Time from request to "ready to receive messages" (record, secrets, workflow, Telegram webhook). */
  onboardingMs: Type.Integer(),
  /** Present when a `telegram-bot-token` was supplied. */
  telegram: Type.Optional(TelegramChange),
});

export const TenantList = Type.Object({
  items: Type.Array(TenantView),
  cursor: Type.Union([Type.String(), Type.Null()]),
});

export const PhaseResult = Type.Object({ tenantId: Type.String(), phase: Phase });

export const OffboardPlanView = Type.Object({
  tenantId: Type.String(),
  dryRun: Type.Boolean(),
  deleteAfter: Type.String(),
  snapshots: Type.Array(Type.Object({ seq: Type.Integer(), size: Type.Integer(), createdAt: Type.String() })),
  secretNames: Type.Array(Type.String()),
  registryRecord: Type.Boolean(),
  /** Kept on purpose: billing history outlives the tenant. */
  kept: Type.Array(Type.String()),
});
