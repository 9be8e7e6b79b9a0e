/**
 * The worker's Prometheus metrics, served on its own loopback listener
 * (`telemetry.workerMetricsPort`). Labels are bounded (path, outcome, kind):
 * never a tenant id; a tenant's own story is in its traces and logs.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ActivityMetrics } from '../activities/ports.js';

export class WorkerMetrics implements ActivityMetrics {
  readonly registry = new Registry();
  readonly wakes = new Counter({
    name: 'clawfleet_worker_wakes_total',
    help: 'Pod launches (wakes) by path (restore: from a snapshot; fresh: no state yet) and outcome (ok, failed: each failed attempt, retried by Temporal).',
    labelNames: ['path', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly wakeSeconds = new Histogram({
    name: 'clawfleet_worker_wake_seconds',
    help: 'Launch activity time, from the call until the supervisor reports OpenClaw ready, by path.',
    labelNames: ['path'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly snapshots = new Counter({
    name: 'clawfleet_worker_snapshots_total',
    help: 'Snapshots recorded by kind (periodic: the pod kept running; final: its drain or a salvage).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly snapshotBytes = new Histogram({
    name: 'clawfleet_worker_snapshot_bytes',
    help: 'Size of recorded snapshots (compressed, encrypted archive), by kind.',
    labelNames: ['kind'] as const,
    buckets: [16e3, 64e3, 256e3, 1e6, 4e6, 16e6, 64e6, 256e6, 1e9],
    registers: [this.registry],
  });
  readonly evictions = new Counter({
    name: 'clawfleet_worker_evictions_total',
    help: 'Idle tenants picked to sleep so that another tenant could wake on a full host.',
    registers: [this.registry],
  });
  readonly podsLost = new Counter({
    name: 'clawfleet_worker_pods_lost_total',
    help: 'Awake pods the runtime found dead and reported to their workflow, which relaunches them (crash relaunches) unless they crash-loop.',
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  wake(path: 'restore' | 'fresh', outcome: 'ok' | 'failed', seconds: number): void {
    this.wakes.inc({ path, outcome });
    if (outcome === 'ok') this.wakeSeconds.observe({ path }, seconds);
  }

  snapshot(kind: 'periodic' | 'final', bytes: number): void {
    this.snapshots.inc({ kind });
    this.snapshotBytes.observe({ kind }, bytes);
  }

  eviction(): void {
    this.evictions.inc();
  }
}
