/**
 * The tenant list, read from Temporal visibility (search attributes): no
 * worker needed, eventually consistent. Split from TenantClient because it
 * reads many workflows at once, where the client addresses one.
 */
import type { Client } from '@temporalio/client';
import {
  LastActiveAtAttr,
  OpenClawVersionAttr,
  TENANT_PHASES,
  TENANT_WORKFLOW_TYPE,
  TenantIdAttr,
  TenantPhaseAttr,
  TenantTierAttr,
  type TenantPhase,
  type TenantTier,
} from '../workflows/shared.js';

/** One row of `list()`, read from search attributes (no worker needed). */
export interface TenantSummary {
  readonly tenantId: string;
  readonly phase: TenantPhase | undefined;
  readonly tier: string | undefined;
  readonly openclawVersion: string | undefined;
  readonly lastActiveAt: Date | undefined;
  readonly workflowId: string;
  readonly runId: string;
}

export interface TenantListOptions {
  readonly phase?: TenantPhase;
  readonly tier?: TenantTier;
  /** @default 1000 */
  readonly limit?: number;
}

/** Tenants by phase/tier, the open run of each (the completed one for deleted tenants). */
export async function listTenants(client: Client, options: TenantListOptions = {}): Promise<TenantSummary[]> {
  const clauses = [`WorkflowType = '${TENANT_WORKFLOW_TYPE}'`];
  // Runs closed by continue-as-new keep their old attributes: only the open run is current, except for deleted tenants.
  clauses.push(options.phase === 'deleted' ? `ExecutionStatus = 'Completed'` : `ExecutionStatus = 'Running'`);
  if (options.phase !== undefined) {
    if (!TENANT_PHASES.includes(options.phase))
      throw new TypeError(`unknown phase ${JSON.stringify(options.phase)}`);
    clauses.push(`${TenantPhaseAttr.name} = '${options.phase}'`);
  }
  if (options.tier !== undefined) {
    if (!/^[a-z]+$/.test(options.tier)) throw new TypeError(`invalid tier ${JSON.stringify(options.tier)}`);
    clauses.push(`${TenantTierAttr.name} = '${options.tier}'`);
  }
  const limit = options.limit ?? 1000;
  const result: TenantSummary[] = [];
  for await (const info of client.workflow.list({ query: clauses.join(' AND ') })) {
    const attrs = info.typedSearchAttributes;
    result.push({
      tenantId: attrs.get(TenantIdAttr) ?? info.workflowId.replace(/^tenant-/, ''),
      phase: attrs.get(TenantPhaseAttr) as TenantPhase | undefined,
      tier: attrs.get(TenantTierAttr),
      openclawVersion: attrs.get(OpenClawVersionAttr),
      lastActiveAt: attrs.get(LastActiveAtAttr),
      workflowId: info.workflowId,
      runId: info.runId,
    });
    if (result.length >= limit) break;
  }
  return result;
}
