/**
 * Where a finished (or cut-off) model request is counted: the durable usage
 * item (idempotent per request id), the Redis quota counters (also once per
 * request id) and the metrics. Recording never delays the response: it runs
 * after the usage has passed through, and a failed durable write is retried
 * a few times and then logged with everything needed to replay it.
 */
import type { Logger } from '../common/logger.js';
import { MODEL_USAGE_BATCH, type ModelUsageRecord } from '../registry/model-usage.js';
import type { ModelCatalog } from './catalog.js';
import type { GatewayMetrics } from './metrics.js';
import type { QuotaGuard } from './quota-guard.js';
import type { MeteredUsage } from './usage-scanner.js';

export interface UsageMeterDeps {
  readonly catalog: ModelCatalog;
  readonly guard: QuotaGuard;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  /** Writes durable usage items, up to 25 at once (registry/model-usage.ts `putModelUsageBatch`). */
  readonly store: (records: { tenantId: string; usage: ModelUsageRecord }[]) => Promise<void>;
  /** How long a record may wait to share a batch write. @default 100 */
  readonly batchWindowMs?: number;
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

/**
 * Durable records go out in batches (one BatchWriteItem per 25 requests or
 * per `batchWindowMs`): a write per request costs the gateway more CPU (request
 * signing) than the rest of the request. The quota counters are updated at
 * once. A gateway killed inside the window loses those records (never counts
 * one twice); `settle` flushes at shutdown.
 */
export class UsageMeter {
  private readonly inFlight = new Set<Promise<void>>();
  private queue: { tenantId: string; usage: ModelUsageRecord }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: UsageMeterDeps) {}

  record(request: MeteredRequest, usage: MeteredUsage): void {
    const costMicros = this.deps.catalog.costMicros(request.model, usage);
    this.deps.metrics.metered(request.tier, request.model, { ...usage, costMicros });
    const { tenantId, requestId, startedAtMs } = request;
    this.track(this.deps.guard.record(tenantId, requestId, usage.input + usage.output, startedAtMs));
    this.queue.push({
      tenantId,
      usage: {
        requestId,
        at: new Date(startedAtMs).toISOString(),
        model: request.model,
        inputTokens: usage.input,
        outputTokens: usage.output,
        cachedTokens: usage.cached,
        costMicros,
        estimated: usage.estimated,
        keySource: request.keySource,
      },
    });
    if (this.queue.length >= MODEL_USAGE_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.deps.batchWindowMs ?? 100);
  }

  /** Writes what is queued and waits for every write (graceful shutdown, tests). */
  async settle(): Promise<void> {
    this.flush();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.queue;
    this.queue = [];
    if (batch.length > 0) this.track(this.write(batch));
  }

  private track(work: Promise<void>): void {
    const tracked = work.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async write(batch: { tenantId: string; usage: ModelUsageRecord }[]): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.deps.store(batch);
        return;
      } catch (error) {
        if (attempt >= WRITE_ATTEMPTS) {
          this.deps.logger.error({ err: error, records: batch }, 'model usage not recorded');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  }
}
