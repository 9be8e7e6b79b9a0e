/**
 * Where a finished (or cut-off) model request is counted: the durable usage
 * item (idempotent per request id), the Redis quota counters (also once per
 * request id) and the metrics. Recording never delays the response: it runs
 * after the usage has passed through, and a failed durable write is retried
 * a few times and then logged with everything needed to replay it.
 */
import type { Logger } from '../common/logger.js';
import type { ModelUsageRecord } from '../registry/model-usage.js';
import type { ModelCatalog } from './catalog.js';
import type { GatewayMetrics } from './metrics.js';
import type { QuotaGuard } from './quota-guard.js';
import type { MeteredUsage } from './usage-scanner.js';

export interface UsageMeterDeps {
  readonly catalog: ModelCatalog;
  readonly guard: QuotaGuard;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  /** Writes the durable usage item (registry/model-usage.ts). */
  readonly store: (tenantId: string, record: ModelUsageRecord) => Promise<void>;
}

export interface MeteredRequest {
  readonly tenantId: string;
  readonly tier: string;
  readonly requestId: string;
  /** `upstream/model`. */
  readonly model: string;
  readonly startedAtMs: number;
  readonly keySource: 'platform' | 'byok';
}

const WRITE_ATTEMPTS = 3;

export class UsageMeter {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: UsageMeterDeps) {}

  record(request: MeteredRequest, usage: MeteredUsage): void {
    const costMicros = this.deps.catalog.costMicros(request.model, usage);
    this.deps.metrics.metered(request.tier, request.model, { ...usage, costMicros });
    const work = this.persist(request, usage, costMicros).finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  /** Waits for the records still being written (graceful shutdown, tests). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async persist(request: MeteredRequest, usage: MeteredUsage, costMicros: number): Promise<void> {
    const { tenantId, requestId, startedAtMs } = request;
    const record: ModelUsageRecord = {
      requestId,
      at: new Date(startedAtMs).toISOString(),
      model: request.model,
      inputTokens: usage.input,
      outputTokens: usage.output,
      cachedTokens: usage.cached,
      costMicros,
      estimated: usage.estimated,
      keySource: request.keySource,
    };
    await this.deps.guard.record(tenantId, requestId, usage.input + usage.output, startedAtMs);
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.deps.store(tenantId, record);
        return;
      } catch (error) {
        if (attempt >= WRITE_ATTEMPTS) {
          this.deps.logger.error({ err: error, tenantId, usage: record }, 'model usage not recorded');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  }
}
