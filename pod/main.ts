/**
 * Entry point of a tenant pod (and of a local tenant process):
 *   node pod/main.ts <spec.json>
 * Listens first, so `/healthz` and `/readyz` answer while state is restored
 * and OpenClaw starts; on SIGTERM (or `POST /drain`) stops OpenClaw, takes the
 * final snapshot and exits. The gateway is always stopped before we exit.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { FileMasterKey } from '../common/crypto.js';
import { exitWhenParentDies } from '../common/parent-watchdog.js';
import { createRootLogger } from '../common/logger.js';
import { S3SnapshotStore } from '../snapshots/s3-snapshot-store.js';
import { buildSupervisorApp } from './http-api.js';
import { StateSync } from './state-sync.js';
import { Supervisor } from './supervisor.js';
import { loadSupervisorConfig, podPaths, type SupervisorConfig } from './supervisor-config.js';

function s3Client(config: SupervisorConfig): S3Client {
  const { snapshots } = config.spec;
  const { s3AccessKeyId, s3SecretAccessKey } = config.secrets;
  return new S3Client({
    region: snapshots.region,
    ...(snapshots.endpoint ? { endpoint: snapshots.endpoint, forcePathStyle: true } : {}),
    // Credentials scoped to the tenant's prefix when given; otherwise the SDK's chain (pod identity).
    ...(s3AccessKeyId && s3SecretAccessKey
      ? { credentials: { accessKeyId: s3AccessKeyId, secretAccessKey: s3SecretAccessKey } }
      : {}),
  });
}

async function main(specPath: string | undefined): Promise<void> {
  if (!specPath) throw new Error('usage: pod/main.ts <spec.json>');
  const config = await loadSupervisorConfig(specPath);
  const { spec } = config;
  const root = createRootLogger({ level: spec.logLevel, name: 'clawfleet-pod' });
  const logger = root.child({ component: 'supervisor', tenantId: spec.tenantId });
  const paths = podPaths(spec);
  const store = new S3SnapshotStore({
    s3: s3Client(config),
    bucket: spec.snapshots.bucket,
    masterKey: await FileMasterKey.open(spec.snapshots.masterKeyFile, { create: false }),
    spoolDir: paths.root,
    logger,
  });
  const sync = new StateSync({
    store,
    tenantId: spec.tenantId,
    stateDir: paths.stateDir,
    workDir: paths.work,
    openclawVersion: spec.openclaw.version,
    ...(spec.snapshots.latestSeq !== undefined ? { latestSeq: spec.snapshots.latestSeq } : {}),
    logger,
  });
  const supervisor = new Supervisor({ config, sync, logger });

  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    void app.close().finally(() => {
      logger.info({ code }, 'supervisor exiting');
      process.exit(code);
    });
  };
  const app = buildSupervisorApp({
    supervisor,
    supervisorToken: config.secrets.supervisorToken!,
    logger,
    onDrained: () => exit(0),
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
  // A local runtime that dies without stopping us closes our stdin: drain rather than linger.
  exitWhenParentDies(process.argv, () => drainAndExit('runtime gone'));

  await app.listen({ host: spec.listen.host, port: spec.listen.port });
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

main(process.argv.slice(2).find((arg) => !arg.startsWith('--'))).catch((err: unknown) => {
  console.error(`clawfleet pod: ${(err as Error).message}`);
  process.exit(2);
});
