/**
 * Tells a tenant's workflow that a quota refused it, so the Web UI's current
 * details name the quota at once instead of at the next usage report. The
 * durable record stays registry/quota-hits.ts (what `clawfleet tenant get`
 * reads); this is only the live view, so a lost signal costs nothing but a
 * later update. At most one signal per tenant and quota kind a minute per
 * process: a tenant hammering a cap must not grow its history per refusal.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { QuotaKind } from '../common/quotas.js';
import { QuotaHitThrottle } from '../registry/quota-hits.js';
import { quotaHitSignal, tenantWorkflowId, type QuotaHitNotice } from '../workflows/shared.js';

const SIGNAL_INTERVAL_MS = 60_000;

export class QuotaHitNotices {
  private readonly throttle = new QuotaHitThrottle(SIGNAL_INTERVAL_MS);

  constructor(
    private readonly client: Client,
    private readonly onError: (error: unknown) => void,
  ) {}

  notify(tenantId: string, hit: { kind: QuotaKind; at: string; limit: number }): void {
    if (!this.throttle.shouldRecord(tenantId, hit.kind, Date.parse(hit.at))) return;
    const notice: QuotaHitNotice = { kind: hit.kind, limit: hit.limit, at: hit.at };
    this.client.workflow
      .getHandle(tenantWorkflowId(tenantId))
      .signal(quotaHitSignal, notice)
      .catch((error: unknown) => {
        if (!(error instanceof WorkflowNotFoundError)) this.onError(error);
      });
  }
}
