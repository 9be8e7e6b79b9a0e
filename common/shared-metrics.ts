/**
 * Metrics more than one component emits: the router and the model gateway
 * both refuse requests over a quota, under one series name so a dashboard
 * sums them, and both time calls that take milliseconds to tens of seconds.
 */
import { Counter, type Registry } from 'prom-client';

/** Buckets of a latency from a few milliseconds (a warm call) to 30 s (a cold wake, a slow upstream). */
export const CALL_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** `clawfleet_quota_rejections_total{kind}` in `registry`. */
export function quotaRejectionsCounter(registry: Registry): Counter<'kind'> {
  return new Counter({
    name: 'clawfleet_quota_rejections_total',
    help: 'Requests refused with 429 because a quota was used up, by quota kind.',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
}
