/**
 * The supervisor's Prometheus metrics, on its API (`GET /metrics`, behind the
 * supervisor token like every route but the probes). One pod is one tenant,
 * so the labels are bounded by construction (outcome: the status class); the
 * tenant is the scrape target, never a label the fleet's series multiply by.
 */
import { Counter, Registry } from 'prom-client';

export type Outcome = '2xx' | '4xx' | '5xx';

export const outcomeOf = (status: number): Outcome => (status >= 500 ? '5xx' : status >= 400 ? '4xx' : '2xx');

export class SupervisorMetrics {
  readonly registry = new Registry();
  readonly deliveries = new Counter({
    name: 'clawfleet_supervisor_deliveries_total',
    help: 'Telegram updates handed to OpenClaw (router hot path and worker deliveries), by outcome (2xx: durably accepted).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly turns = new Counter({
    name: 'clawfleet_supervisor_turns_total',
    help: 'Chat turns proxied to OpenClaw, by outcome (the status class of the answer).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  /** `restarts`: the gateway child's own count (gateway-child.ts), read at each scrape. */
  constructor(restarts: () => number) {
    new Counter({
      name: 'clawfleet_supervisor_openclaw_restarts_total',
      help: 'Times the supervisor restarted a crashed OpenClaw gateway since it started.',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(restarts());
      },
    });
  }
}
