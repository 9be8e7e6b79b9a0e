/** The API's view of registry records: names and ids, never hashes or values. */
import { resolveTenantTools } from '../common/tool-tiers.js';
import type { TenantRecord } from '../registry/tenant-record.js';
import type { TenantViewData } from './schemas.js';

export function tenantView(record: TenantRecord): TenantViewData {
  return {
    tenantId: record.tenantId,
    displayName: record.displayName,
    tier: record.tier,
    status: record.status,
    idleTimeoutMs: record.idleTimeoutMs,
    quotas: record.quotas,
    openclawVersion: record.openclawVersion,
    openclawPinned: record.openclawPinned ?? false,
    channels: record.channels,
    tools: record.tools ?? {},
    effectiveTools: resolveTenantTools(record.tier, record.tools).alsoAllow,
    secretNames: [...new Set(Object.values(record.secretRefs))].sort(),
    apiKeyIds: Object.keys(record.apiKeyHashes).sort(),
    webhookSecretSet: record.webhookSecretHashes.length > 0,
    latestSnapshotSeq: record.latestSnapshotSeq,
    telegramBot: record.telegramBot?.username ?? null,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    lastActiveAt: record.lastActiveAt,
    version: record.version,
  };
}

/** Secret name → the logical key in `secretRefs` (`model-openai` → `modelOpenai`). */
export function secretRefKey(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase()).replace(/^[0-9]/, 's$&');
}
