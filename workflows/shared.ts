/**
 * The tenant workflow contract: the one file the router, CLI and billing
 * integrations import from the Temporal side. Only types, names and message
 * definitions live here (no activity code, no Node built-ins).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Default task queue of tenant workflows and their activities (overridable by CLAWFLEET_TASK_QUEUE). */
export const DEFAULT_TASK_QUEUE = 'clawfleet-tenants';

/** One workflow per tenant, found by id without any lookup. */
export function tenantWorkflowId(tenantId: string): string {
  return `tenant-${tenantId}`;
}

export const TenantIdAttr = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const TenantPhaseAttr = defineSearchAttributeKey('TenantPhase', SearchAttributeType.KEYWORD);
export const TenantTierAttr = defineSearchAttributeKey('TenantTier', SearchAttributeType.KEYWORD);
export const OpenClawVersionAttr = defineSearchAttributeKey('OpenClawVersion', SearchAttributeType.KEYWORD);
export const LastActiveAtAttr = defineSearchAttributeKey('LastActiveAt', SearchAttributeType.DATETIME);

/** Every custom search attribute; the dev stack and test servers register exactly these. */
export const SEARCH_ATTRIBUTES = [TenantIdAttr, TenantPhaseAttr, TenantTierAttr, OpenClawVersionAttr, LastActiveAtAttr] as const;
