/**
 * The tenant record as stored in `<prefix>tenants`, its TypeBox schema, and
 * the inputs of the writes that change it. Every item read back is checked
 * against the schema, so a malformed item fails loudly instead of flowing on.
 *
 * Three fields are counters with their own conditions instead of the
 * optimistic lock: `lastActiveAt` and `latestSnapshotSeq` only move forward,
 * and neither bumps `version`, so the hot path's touches never make an
 * operator's edit conflict. Everything else changes through `version`.
 */
import Type from 'typebox';
import Value from 'typebox/value';
import type { PodSpec } from '../activities/ports.js';
import { TENANT_ID_PATTERN } from '../common/ids.js';
import { GRANTABLE_TOOLS, type GrantableTool } from '../common/tool-tiers.js';

/** Administrative status (the GSI partition key); the workflow's phase is finer and lives in Temporal. */
export const TENANT_STATUSES = ['active', 'suspended', 'failed', 'offboarding'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

const IsoTime = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{3})?Z$' });
const Name = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' });
const Count = Type.Integer({ minimum: 0 });

export const TenantQuotasSchema = Type.Object(
  {
    messagesPerDay: Type.Optional(Count),
    tokensPerMinute: Type.Optional(Count),
    tokensPerDay: Type.Optional(Count),
    tokensPerMonth: Type.Optional(Count),
    concurrentModelRequests: Type.Optional(Count),
    activeSecondsPerDay: Type.Optional(Count),
  },
  { additionalProperties: false },
);

/** Channel settings that are not secret; tokens are referenced through `secretRefs`. */
export const ChannelConfigSchema = Type.Object(
  {
    telegram: Type.Optional(
      Type.Object(
        {
          enabled: Type.Boolean(),
          dmPolicy: Type.Optional(Type.String({ maxLength: 32 })),
          allowFrom: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 })),
        },
        { additionalProperties: false },
      ),
    ),
    chatApi: Type.Optional(Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

/** A tool name from the closed list (common/tool-tiers.ts): control-plane tools cannot be named. */
const GrantableToolSchema = Type.Unsafe<GrantableTool>(Type.Enum([...GRANTABLE_TOOLS]));

/** The tenant's tool override on top of its tier's defaults: `allow` adds, `deny` removes (deny wins). */
export const TenantToolsSchema = Type.Object(
  {
    allow: Type.Optional(Type.Array(GrantableToolSchema, { maxItems: 32, uniqueItems: true })),
    deny: Type.Optional(Type.Array(GrantableToolSchema, { maxItems: 32, uniqueItems: true })),
  },
  { additionalProperties: false },
);

export const TelegramBotSchema = Type.Object(
  { id: Type.Integer({ minimum: 1 }), username: Type.String({ maxLength: 64 }) },
  { additionalProperties: false },
);

/** Encoded credential hashes (see credential-hash.ts); never the credentials. */
const CredentialHash = Type.String({
  pattern: '^hmac-sha256\\$[a-z0-9-]+\\$[A-Za-z0-9_-]+\\$[A-Za-z0-9_-]+$',
});

export const TenantRecordSchema = Type.Object(
  {
    tenantId: Type.String({ pattern: TENANT_ID_PATTERN.source }),
    displayName: Type.String({ minLength: 1, maxLength: 200 }),
    tier: Type.Union([Type.Literal('free'), Type.Literal('standard'), Type.Literal('pro')]),
    status: Type.Union([
      Type.Literal('active'),
      Type.Literal('suspended'),
      Type.Literal('failed'),
      Type.Literal('offboarding'),
    ]),
    idleTimeoutMs: Type.Integer({ minimum: 10_000, maximum: 7 * 24 * 3_600_000 }),
    quotas: TenantQuotasSchema,
    openclawVersion: Type.String({ pattern: '^[0-9A-Za-z.+-]{1,64}$' }),
    /** An operator chose the version (`tenant update --openclaw-version`): fleet upgrades skip the tenant. */
    openclawPinned: Type.Optional(Type.Boolean()),
    channels: ChannelConfigSchema,
    /** Tools added to or removed from the tier's defaults (common/tool-tiers.ts); absent = the tier's. */
    tools: Type.Optional(TenantToolsSchema),
    /** Logical use → secret name in the secret store (e.g. `telegramBotToken` → `telegram-bot-token`). */
    secretRefs: Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9]{0,63}$' }), Name),
    /** Current first; the previous one stays valid until the next wake re-registers the webhook. */
    webhookSecretHashes: Type.Array(CredentialHash, { maxItems: 2 }),
    /** API key id → hash; the key id is the public part of the presented key. */
    apiKeyHashes: Type.Record(Type.String({ pattern: '^[a-z0-9]{1,32}$' }), CredentialHash),
    latestSnapshotSeq: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    /** The bot behind `telegram-bot-token`, as `getMe` named it when the token was stored; null once removed. */
    telegramBot: Type.Optional(Type.Union([TelegramBotSchema, Type.Null()])),
    createdAt: IsoTime,
    updatedAt: IsoTime,
    lastActiveAt: IsoTime,
    version: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);

export type TenantRecord = Type.Static<typeof TenantRecordSchema>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Compile-time check: the schema's tiers are the workflow's, its statuses are TENANT_STATUSES. */
const schemaMatches: [
  Same<TenantRecord['tier'], PodSpec['tier']>,
  Same<TenantRecord['status'], TenantStatus>,
] = [true, true];
void schemaMatches;

export type TenantQuotas = Type.Static<typeof TenantQuotasSchema>;
export type ChannelConfig = Type.Static<typeof ChannelConfigSchema>;
export type TenantTools = Type.Static<typeof TenantToolsSchema>;

/** What a caller supplies to create a tenant; the rest gets defaults. */
export const NewTenantSchema = Type.Intersect([
  Type.Pick(TenantRecordSchema, ['tenantId', 'displayName', 'tier', 'openclawVersion']),
  Type.Partial(
    Type.Pick(TenantRecordSchema, [
      'status',
      'idleTimeoutMs',
      'quotas',
      'channels',
      'tools',
      'secretRefs',
      'webhookSecretHashes',
      'apiKeyHashes',
      'telegramBot',
    ]),
  ),
]);
export type NewTenant = Type.Static<typeof NewTenantSchema>;

/** Fields `update` may change under the optimistic lock. */
export const TENANT_PATCH_FIELDS = [
  'displayName',
  'tier',
  'status',
  'idleTimeoutMs',
  'quotas',
  'openclawVersion',
  'openclawPinned',
  'channels',
  'tools',
  'secretRefs',
  'webhookSecretHashes',
  'apiKeyHashes',
  'telegramBot',
] as const;
export const TenantPatchSchema = Type.Partial(Type.Pick(TenantRecordSchema, TENANT_PATCH_FIELDS), {
  additionalProperties: false,
});
export type TenantPatch = Type.Static<typeof TenantPatchSchema>;

/** @default 900_000 (15 minutes), as in the workflow's settings */
export const DEFAULT_IDLE_TIMEOUT_MS = 900_000;

export function newTenantRecord(input: NewTenant, now: string): TenantRecord {
  return {
    tenantId: input.tenantId,
    displayName: input.displayName,
    tier: input.tier,
    status: input.status ?? 'active',
    idleTimeoutMs: input.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    quotas: input.quotas ?? {},
    openclawVersion: input.openclawVersion,
    channels: input.channels ?? {},
    ...(input.tools && { tools: input.tools }),
    secretRefs: input.secretRefs ?? {},
    webhookSecretHashes: input.webhookSecretHashes ?? [],
    apiKeyHashes: input.apiKeyHashes ?? {},
    latestSnapshotSeq: null,
    ...(input.telegramBot && { telegramBot: input.telegramBot }),
    createdAt: now,
    updatedAt: now,
    // The GSI sort key must exist: a tenant that never ran sorts by its creation time.
    lastActiveAt: now,
    version: 1,
  };
}

/** Problems of `value` against `schema`, as `path: message` strings (empty when valid). */
export function schemaProblems(schema: Type.TSchema, value: unknown): string[] {
  if (Value.Check(schema, value)) return [];
  return [...Value.Errors(schema, value)].slice(0, 10).map((e) => `${e.instancePath || '/'} ${e.message}`);
}
