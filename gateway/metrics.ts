/**
 * Prometheus metrics of the model gateway. Labels are bounded: tier, model
 * (models the catalog resolved, capped at `MAX_MODELS` distinct names, then
 * `other`), upstream, quota kind; never a tenant id.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CALL_SECONDS_BUCKETS, quotaRejectionsCounter } from '../common/shared-metrics.js';

const MAX_MODELS = 100;

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly tokens = new Counter({
    name: 'clawfleet_gateway_tokens_total',
    help: 'Model tokens metered, by tier, model and kind (input, output, cached; cached is part of input).',
    labelNames: ['tier', 'model', 'kind'] as const,
    registers: [this.registry],
  });
  readonly cost = new Counter({
    name: 'clawfleet_gateway_cost_usd_total',
    help: 'Model cost from the price table, USD, by tier and model.',
    labelNames: ['tier', 'model'] as const,
    registers: [this.registry],
  });
  readonly requests = new Counter({
    name: 'clawfleet_gateway_requests_total',
    help: 'Model requests by tier and outcome (HTTP status).',
    labelNames: ['tier', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly estimated = new Counter({
    name: 'clawfleet_gateway_estimated_usage_total',
    help: 'Requests whose provider returned no usage, so the gateway estimated the tokens.',
    registers: [this.registry],
  });
  readonly upstreamSeconds = new Histogram({
    name: 'clawfleet_gateway_upstream_seconds',
    help: 'Upstream latency until response headers (streams: about the first chunk), by upstream.',
    labelNames: ['upstream'] as const,
    buckets: CALL_SECONDS_BUCKETS,
    registers: [this.registry],
  });
  readonly quotaRejections = quotaRejectionsCounter(this.registry);
  readonly redisFailures = new Counter({
    name: 'clawfleet_gateway_quota_redis_failures_total',
    help: 'Quota counter operations that failed (Redis unavailable); see the fail-open/closed table.',
    registers: [this.registry],
  });

  private readonly models = new Set<string>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** The model label: the name itself while fewer than MAX_MODELS have been seen. */
  modelLabel(model: string): string {
    if (this.models.has(model)) return model;
    if (this.models.size >= MAX_MODELS) return 'other';
    this.models.add(model);
    return model;
  }

  metered(
    tier: string,
    model: string,
    usage: { input: number; output: number; cached: number; costMicros: number; estimated: boolean },
  ): void {
    const label = this.modelLabel(model);
    this.tokens.inc({ tier, model: label, kind: 'input' }, usage.input);
    this.tokens.inc({ tier, model: label, kind: 'output' }, usage.output);
    if (usage.cached > 0) this.tokens.inc({ tier, model: label, kind: 'cached' }, usage.cached);
    if (usage.costMicros > 0) this.cost.inc({ tier, model: label }, usage.costMicros / 1e6);
    if (usage.estimated) this.estimated.inc();
  }
}
