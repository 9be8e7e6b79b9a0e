/**
 * Worker entry point: runs tenant workflows and their activities on the task
 * queue. Logic lives in workflows/ and activities/; this file only wires real
 * adapters into them and handles process lifecycle.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../common/config.js';
import { RUN_MODE } from '../common/entry-points.js';
import { createRootLogger } from '../common/logger.js';
import { serveMetrics } from '../common/metrics.js';
import { startTracing, tracedClientInterceptors } from '../common/tracing.js';
import { exitWhenParentDies } from '../common/parent-watchdog.js';
import { createActivities } from '../activities/index.js';
import { createFleetActivities } from '../activities/fleet.js';
import { wireAdapters } from './adapters.js';
import { WorkerMetrics } from './metrics.js';
import { reportLostLocalPods } from './reconcile.js';
import { PinoTemporalLogger } from './temporal-logger.js';
import { workflowCode } from './workflow-code.js';
import { RECOVERY_OPTIONS } from './worker-config.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createRootLogger({ level: config.common.logLevel, name: 'worker' });
  Runtime.install({ logger: new PinoTemporalLogger(logger), shutdownSignals: ['SIGINT', 'SIGTERM'] });
  const tracing = await startTracing({
    serviceName: 'clawfleet-worker',
    otlpEndpoint: config.telemetry.otlpEndpoint,
  });
  // Runtime events (pod lost, sleep requests) become signals through a plain client.
  const clientConnection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({
    connection: clientConnection,
    namespace: config.temporal.namespace,
    interceptors: await tracedClientInterceptors(tracing),
  });
  // First, so a taken port fails the start before any tenant is adopted. Loopback by default: an operator's
  // Prometheus scrapes it there (docs/operations.md, Metrics).
  const metrics = new WorkerMetrics({ defaultMetrics: true });
  const metricsListener = await serveMetrics(metrics.registry, {
    host: config.telemetry.workerMetricsHost,
    port: config.telemetry.workerMetricsPort,
  });
  const adapters = await wireAdapters(config, logger, client, { metrics });
  if (adapters.localRuntime) await reportLostLocalPods(client, logger, adapters.adoptedPods);
  const code = workflowCode({ traced: tracing !== null });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...code,
    // Loaded only when traced: off, neither the interceptors nor the sandbox's tracing module exist here.
    ...(tracing &&
      (await import('./tracing.js')).tracedWorkerOptions(tracing, { prebuilt: 'workflowBundle' in code })),
    activities: { ...createActivities(adapters.deps), ...createFleetActivities(adapters.fleet) },
    ...RECOVERY_OPTIONS,
  });
  exitWhenParentDies(process.argv, () => worker.shutdown());
  logger.info(
    {
      taskQueue: config.temporal.taskQueue,
      address: config.temporal.address,
      mode: RUN_MODE,
      metrics: `${metricsListener.url}/metrics`,
      tracing: tracing ? config.telemetry.otlpEndpoint : 'off',
    },
    'worker polling',
  );
  try {
    await worker.run(); // resolves after SIGINT/SIGTERM once in-flight tasks finish
  } finally {
    // A stopping worker is a restart (a deploy): local tenants keep serving and the next worker adopts them.
    await adapters.close({ handOver: true });
    await connection.close();
    await clientConnection.close();
    await metricsListener.close();
    await tracing?.shutdown();
  }
  logger.info('worker stopped');
}

main().then(
  // Exit explicitly: SDK-native and AWS client handles can keep the event loop alive after shutdown.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
