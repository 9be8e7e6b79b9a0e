/**
 * Prometheus metrics of the public listener. Labels are bounded sets (route,
 * outcome, path, reason): never a tenant id, which would grow without limit.
 * Each app gets its own registry so tests can build many apps side by side.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CALL_SECONDS_BUCKETS, quotaRejectionsCounter } from '../common/shared-metrics.js';

export type RouteName = 'telegram' | 'chat';
export type DeliveryPath = 'hot' | 'cold';
/** Why the router used a slower but still correct path. */
export type FallbackReason =
  'redis_unavailable' | 'registry_unavailable' | 'upstream_unavailable' | 'upstream_unauthorized';

export class RouterMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'clawfleet_router_requests_total',
    help: 'Requests on the public routes by route and outcome (HTTP status class or reason).',
    labelNames: ['route', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly deliveries = new Counter({
    name: 'clawfleet_router_deliveries_total',
    help: 'Messages handed on, by route and path (hot: straight to the supervisor; cold: through Temporal).',
    labelNames: ['route', 'path'] as const,
    registers: [this.registry],
  });
  readonly fallbacks = new Counter({
    name: 'clawfleet_router_fallbacks_total',
    help: 'Times the router fell back to a slower path, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly forwardSeconds = new Histogram({
    name: 'clawfleet_router_forward_seconds',
    help: 'Hot-path forward latency to the supervisor (Telegram: until the durable ack; chat: until headers).',
    labelNames: ['route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly coldSeconds = new Histogram({
    name: 'clawfleet_router_cold_path_seconds',
    help: 'Cold-path latency: Telegram until Temporal accepted the signal; chat until the wake returned.',
    labelNames: ['route'] as const,
    buckets: CALL_SECONDS_BUCKETS,
    registers: [this.registry],
  });

  readonly quotaRejections = quotaRejectionsCounter(this.registry);

  /** Pre-labelled children by `route:status`: the hot path skips prom-client's label hashing. */
  private readonly requestChildren = new Map<string, { inc(): void }>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  countRequest(route: RouteName, status: number): void {
    const key = `${route}:${status}`;
    let child = this.requestChildren.get(key);
    if (child === undefined) {
      child = this.requests.labels({ route, outcome: String(status) });
      this.requestChildren.set(key, child); // bounded: two routes times the status codes Fastify can send
    }
    child.inc();
  }

  fallback(reason: FallbackReason): void {
    this.fallbacks.inc({ reason });
  }
}
