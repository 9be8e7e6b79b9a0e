/**
 * Runs one tenant's supervisor to the end: listens first, so `/healthz` and
 * `/readyz` answer while state is restored and OpenClaw starts; on SIGTERM (or
 * `POST /drain`) stops OpenClaw, takes the final snapshot and exits. The
 * gateway is always stopped before we exit. main.ts decides where the config
 * comes from (a spec file, or a warm pod's claim).
 */
import { exitWhenParentDies } from '../common/parent-watchdog.js';
import { heartbeatArgs, watchHeartbeat } from '../common/runtime-heartbeat.js';
import { createRootLogger } from '../common/logger.js';
import { startTracing } from '../common/tracing.js';
import { ForwardAuth } from './forward-auth.js';
import { buildSupervisorApp } from './http-api.js';
import { StateSync } from './state-sync.js';
import { Supervisor } from './supervisor.js';
import { podPaths, type SupervisorConfig } from './supervisor-config.js';
import { openTenantSnapshots } from './tenant-snapshots.js';
import { startEgressForwards } from './sandbox-egress.js';

export async function runSupervisor(config: SupervisorConfig): Promise<void> {
  const { spec } = config;
  const root = createRootLogger({ level: spec.logLevel, name: 'clawfleet-pod' });
  const logger = root.child({ component: 'supervisor', tenantId: spec.tenantId });
  const paths = podPaths(spec);
  const snapshots = openTenantSnapshots(config, { spoolDir: paths.root, logger });
  const sync = new StateSync({
    store: snapshots.store,
    tenantId: spec.tenantId,
    stateDir: paths.stateDir,
    workDir: paths.work,
    openclawVersion: spec.openclaw.version,
    ...(spec.snapshots.latestSeq !== undefined ? { latestSeq: spec.snapshots.latestSeq } : {}),
    logger,
  });
  const supervisor = new Supervisor({ config, sync, logger });
  const tracing = await startTracing({
    serviceName: 'clawfleet-supervisor',
    otlpEndpoint: spec.otlpEndpoint ?? '',
  });

  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    void app
      .close()
      .then(() => tracing?.shutdown()) // the last spans (the drain) are exported before we go
      .finally(() => {
        logger.info({ code }, 'supervisor exiting');
        process.exit(code);
      });
  };
  const { forwardKey } = config.secrets;
  const app = buildSupervisorApp({
    supervisor,
    supervisorToken: config.secrets.supervisorToken!,
    // supervisor-config.ts refuses a forwardKey without a podId.
    ...(forwardKey && {
      forwarded: new ForwardAuth({
        key: Buffer.from(forwardKey, 'base64url'),
        tenantId: spec.tenantId,
        podId: spec.podId!,
      }),
    }),
    refreshGrant: snapshots.refreshGrant,
    logger,
    onDrained: () => exit(0),
    ...(tracing && { traced: { tracing, tenantId: spec.tenantId } }),
  });
  const drainAndExit = (reason: string) => {
    logger.info({ reason }, 'drain requested');
    supervisor.drain().then(
      () => exit(0),
      (err: unknown) => {
        logger.error({ err }, 'final snapshot failed');
        exit(1);
      },
    );
  };
  process.once('SIGTERM', () => drainAndExit('SIGTERM'));
  process.once('SIGINT', () => drainAndExit('SIGINT'));
  // A local runtime's heartbeat outlives a worker restart (the next worker adopts us) but not the stack; without
  // one, a runtime that dies without stopping us closes our stdin. Either way: drain rather than linger.
  const heartbeat = heartbeatArgs(process.argv);
  if (heartbeat) watchHeartbeat(heartbeat.file, heartbeat.windowMs, () => drainAndExit('runtime gone'));
  else exitWhenParentDies(process.argv, () => drainAndExit('runtime gone'));

  if (config.sandbox) {
    // Restore needs the snapshot store and OpenClaw the model gateway: the forwards come first.
    await startEgressForwards(config.sandbox.egress);
    await app.ready();
    const { listenFd } = config.sandbox;
    await new Promise<void>((resolve, reject) =>
      app.server.once('error', reject).listen({ fd: listenFd }, () => resolve()),
    );
  } else await app.listen({ host: spec.listen.host, port: spec.listen.port });
  supervisor.start().then(
    () => logger.info('tenant ready'),
    (err: unknown) => {
      if (supervisor.isDraining) return;
      // A crash loop keeps the supervisor up so /readyz reports it; a failed restore cannot be served at all.
      if (supervisor.status().state === 'crash-loop') return logger.error({ err }, 'gateway crash loop');
      logger.error({ err }, 'start failed');
      void supervisor.drain().finally(() => exit(2));
    },
  );
}
