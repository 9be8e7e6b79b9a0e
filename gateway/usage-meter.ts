/**
 * Where a finished (or cut-off) model request is counted: the durable usage
 * item (idempotent per request id), the Redis quota counters (also once per
 * request id) and the metrics. Recording never delays the response: it runs
 * after the usage has passed through, and a failed durable write is retried
 * through a registry outage (a DynamoDB restart lost every record of its
 * seconds when it gave up after three tries) for `retryForMs`, then logged
 * with everything needed to replay it.
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
  /** How long a failed batch write is retried before its records are logged for replay. @default 600_000 */
  readonly retryForMs?: number;
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

/** The longest pause between two tries of a failed write: a registry back from a restart gets the records within it. */
const MAX_RETRY_DELAY_MS = 2_000;

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
  /** Shutting down: a failing write gets one more try, not minutes. */
  private closing = false;

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

  /** Writes what is queued and waits for every write (tests); `closing`: failing writes give up (shutdown). */
  async settle(options: { closing?: boolean } = {}): Promise<void> {
    if (options.closing) this.closing = true;
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

  /** Idempotent per request id, so a retry of a write that did land counts nothing twice. */
  private async write(batch: { tenantId: string; usage: ModelUsageRecord }[]): Promise<void> {
    const giveUpAt = Date.now() + (this.deps.retryForMs ?? 600_000);
    for (let attempt = 1; ; attempt += 1) {
      const closing = this.closing;
      try {
        await this.deps.store(batch);
        if (attempt > 1) this.deps.logger.info({ attempts: attempt }, 'model usage recorded after retries');
        return;
      } catch (error) {
        if (closing || Date.now() >= giveUpAt) {
          this.deps.logger.error({ err: error, records: batch }, 'model usage not recorded');
          return;
        }
        if (attempt === 1) this.deps.logger.warn({ err: error }, 'model usage write failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_RETRY_DELAY_MS, 100 * 2 ** attempt)));
      }
    }
  }
}
