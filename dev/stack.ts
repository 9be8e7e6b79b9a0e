/**
 * The embedded dev stack: Temporal (with Web UI), Redis, S3, DynamoDB, the
 * worker, the admin API and the router, on loopback. `clawfleet dev` and the integration
 * tests both start it through `startStack`, so the tests exercise exactly
 * what a newcomer runs.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { withOverrides, type Config } from '../common/config.js';
import { startAdmin, startGateway, startRouter, startWorker } from './components/apps.js';
import { keepRunning } from './keep-running.js';
import { releaseTenants } from '../local/release-tenants.js';
import { startFakes, type OfflineFakes } from './components/fakes.js';
import { startAwsProcess, startDynamo, startS3 } from './components/aws.js';
import type { ComponentContext, RunningComponent, StatusRow } from './components/component.js';
import { startRedis } from './components/redis.js';
import { startTemporal } from './components/temporal.js';
import { claimDataDir } from './data-dir-claim.js';
import { StackError } from './stack-error.js';
import { resolvePorts, type StackPorts } from './stack-ports.js';
import { resolveRedisServer, resolveTemporalCli } from './toolchain.js';

export { StackError } from './stack-error.js';
export { ANY_PORTS, DEFAULT_PORTS, type StackPorts } from './stack-ports.js';

export interface StackOptions {
  /** Base configuration (from the environment); the stack overrides endpoints it starts. */
  readonly config: Config;
  readonly ports: StackPorts;
  /** Delete the data dir first (all local tenants, snapshots and history). @default false */
  readonly reset?: boolean;
  /** Start the worker, admin API and router processes too. @default true */
  readonly apps?: boolean;
  /** Fake LLM and fake Telegram Bot API instead of the real ones (`clawfleet dev --offline`). @default false */
  readonly offline?: boolean;
  /** s3rver and dynalite as child processes kept running like Redis, not in-process (the chaos suite kills them). @default false */
  readonly awsProcesses?: boolean;
  /**
   * Router processes on the one public port (`router.reusePort` when more than one), like production's
   * replicas: one that dies leaves the others serving while it restarts (the chaos suite runs 2). @default 1
   */
  readonly routers?: number;
  readonly report?: (line: string) => void;
}

export interface Stack {
  readonly rows: readonly StatusRow[];
  /** The configuration clients use to reach this stack. */
  readonly config: Config;
  readonly dataDir: string;
  /** The fake LLM and fake Telegram Bot API of an offline stack (what the model was asked, what the bots sent). */
  readonly fakes?: OfflineFakes['fakes'];
  /** Pids of every child process the stack started. */
  pids(): number[];
  stop(): Promise<void>;
}

/**
 * The worker as the stack keeps it, ending the tenants when the stack stops
 * for good: a worker that stops (or is restarted after a crash) hands its
 * tenants over to the next one, so only here, after the last worker, are
 * they released (they drain while S3 still runs; local/release-tenants.ts).
 */
function endingTenants(worker: RunningComponent, dataDir: string): RunningComponent {
  return {
    rows: worker.rows,
    get processes() {
      return worker.processes;
    },
    stop: async () => {
      await worker.stop();
      await releaseTenants(dataDir);
    },
  };
}

const ROW_ORDER = [
  'temporal',
  'web ui',
  'redis',
  's3',
  'dynamodb',
  'fake llm',
  'fake telegram',
  'worker',
  'tenant sandbox',
  'router',
  'admin api',
  'model gateway',
];
const rowRank = (row: StatusRow) => ROW_ORDER.indexOf(row.component);

export async function startStack(options: StackOptions): Promise<Stack> {
  const base = options.config;
  const report = options.report ?? (() => {});
  const host = base.router.host;
  const routers = options.routers ?? 1;
  if (!Number.isInteger(routers) || routers < 1)
    throw new StackError(`routers must be 1 or more, not ${routers}`);
  const dataDir = resolve(base.common.dataDir);
  if (options.reset) await rm(dataDir, { recursive: true, force: true });
  const logDir = join(dataDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const releaseDataDir = await claimDataDir(dataDir);
  const ctx: ComponentContext = { host, dataDir, logDir, report };

  const started: RunningComponent[] = [];
  const stopAll = async () => {
    for (const component of started.reverse()) await component.stop().catch(() => undefined);
    started.length = 0;
    await releaseDataDir();
  };
  const track = <T extends RunningComponent>(component: T): T => {
    started.push(component);
    return component;
  };
  // Processes that die while the stack runs are started again (keep-running.ts); in-process servers cannot die alone.
  const kept = (name: string, start: () => Promise<RunningComponent>) =>
    keepRunning(start, { name, report, logHint: join(logDir, `${name}.log`) });

  try {
    const [temporalCli, redisServer] = await Promise.all([
      resolveTemporalCli({ cacheDir: base.common.cacheDir, explicitPath: base.temporal.cli, report }),
      resolveRedisServer({ cacheDir: base.common.cacheDir, report }),
    ]);
    const ports = await resolvePorts(host, options.ports);
    report('starting Temporal, Redis, S3 and DynamoDB');
    const { s3Bucket, tablePrefix, region } = base.aws;
    const infra = await Promise.allSettled([
      kept('temporal', () =>
        startTemporal(ctx, {
          cli: temporalCli.path,
          port: ports.temporal,
          uiPort: ports.ui,
          namespace: base.temporal.namespace,
        }),
      ).then(track),
      kept('redis', () => startRedis(ctx, { binary: redisServer.path, port: ports.redis })).then(track),
      ...(options.awsProcesses
        ? [
            kept('s3', () => startAwsProcess(ctx, 's3', { port: ports.s3, bucket: s3Bucket, region })),
            kept('dynamodb', () =>
              startAwsProcess(ctx, 'dynamodb', { port: ports.dynamodb, tablePrefix, region }),
            ),
          ]
        : [
            startS3(ctx, { port: ports.s3, bucket: s3Bucket, region }),
            startDynamo(ctx, { port: ports.dynamodb, tablePrefix, region }),
          ]
      ).map((component) => component.then(track)),
    ]);
    const failed = infra.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
    const fakes = options.offline
      ? track(await startFakes(ctx, withOverrides(base, { common: { dataDir } })))
      : undefined;

    const config = withOverrides(base, {
      common: { dataDir },
      temporal: { address: `${host}:${ports.temporal}`, cli: temporalCli.path },
      redis: { url: `redis://${host}:${ports.redis}` },
      aws: { s3Endpoint: `http://${host}:${ports.s3}`, dynamodbEndpoint: `http://${host}:${ports.dynamodb}` },
      router: { port: ports.router, publicUrl: `http://${host}:${ports.router}`, reusePort: routers > 1 },
      admin: { port: ports.admin },
      gateway: { host, port: ports.gateway, metricsPort: ports.gatewayMetrics },
      telemetry: { ...base.telemetry, workerMetricsHost: host, workerMetricsPort: ports.workerMetrics },
      ...fakes?.overrides,
    });
    if (options.apps ?? true) {
      report('starting the worker, the admin API, the model gateway and the router');
      // Sequential on purpose: the worker's first workflow bundle is CPU-heavy on 2 cores, and the
      // admin API writes the router key file the router starts from.
      track(endingTenants(await kept('worker', () => startWorker(ctx, config)), dataDir));
      track(await kept('admin', () => startAdmin(ctx, config)));
      // After the admin API: it creates the master key the gateway reads tenants' own provider keys with.
      track(await kept('gateway', () => startGateway(ctx, config)));
      const replicas = Array.from({ length: routers }, (_, index) => ({
        name: index === 0 ? 'router' : `router-${index + 1}`,
        index,
        of: routers,
      }));
      const up = await Promise.allSettled(
        replicas.map((replica) => kept(replica.name, () => startRouter(ctx, config, replica)).then(track)),
      );
      const down = up.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (down) throw down.reason;
    }
    const rows = started.flatMap((component) => component.rows).sort((a, b) => rowRank(a) - rowRank(b));
    await writeFile(
      join(dataDir, 'dev.json'),
      JSON.stringify({ pid: process.pid, config, rows }, null, 2) + '\n',
    );
    return {
      rows,
      config,
      dataDir,
      ...(fakes && { fakes: fakes.fakes }),
      pids: () =>
        started
          .flatMap((c) => c.processes.map((p) => p.pid))
          .filter((pid): pid is number => pid !== undefined),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
