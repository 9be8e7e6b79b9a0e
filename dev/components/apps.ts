/**
 * clawfleet's own processes in the dev stack: the worker and the router, run
 * from source with the same Node that runs the stack (Node 24 under npm).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { configToEnv, type Config } from '../../common/config.js';
import { PARENT_WATCHDOG_FLAG } from '../../common/parent-watchdog.js';
import { ManagedProcess } from '../managed-process.js';
import { waitUntil } from '../ports.js';
import type { ComponentContext, RunningComponent } from './component.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function startNodeEntry(ctx: ComponentContext, name: string, entry: string, config: Config): ManagedProcess {
  return ManagedProcess.start({
    name,
    command: process.execPath,
    args: ['--import', 'tsx', join(repoRoot, entry), PARENT_WATCHDOG_FLAG],
    cwd: repoRoot,
    env: { ...process.env, ...configToEnv(config) },
    logFile: join(ctx.logDir, `${name}.log`),
    parentWatchdog: true,
  });
}

function diedHint(ctx: ComponentContext, process: ManagedProcess): () => string | undefined {
  return () =>
    process.running
      ? undefined
      : `${process.describeExit()} (see ${join(ctx.logDir, `${process.name}.log`)})`;
}

/** The worker; ready once Temporal sees it polling the tenant task queue. */
export async function startWorker(ctx: ComponentContext, config: Config): Promise<RunningComponent> {
  const process = startNodeEntry(ctx, 'worker', 'worker/main.ts', config);
  const stop = () => process.stop(20_000);
  try {
    const connection = await Connection.connect({ address: config.temporalAddress });
    try {
      await waitUntil(
        async () => {
          const response = await connection.workflowService.describeTaskQueue({
            namespace: config.temporalNamespace,
            taskQueue: { name: config.taskQueue },
            taskQueueType: 1, // workflow task queue
          });
          return (response.pollers?.length ?? 0) > 0;
        },
        { what: 'worker', timeoutMs: 90_000, intervalMs: 500, abort: diedHint(ctx, process) },
      );
    } finally {
      await connection.close();
    }
    return {
      rows: [{ component: 'worker', url: `task queue ${config.taskQueue}`, state: 'up (polling)' }],
      processes: [process],
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The router: public listener and admin listener, each ready when `/healthz` answers. */
export async function startRouter(ctx: ComponentContext, config: Config): Promise<RunningComponent> {
  const process = startNodeEntry(ctx, 'router', 'router/server.ts', config);
  const stop = () => process.stop(10_000);
  const publicUrl = `http://${config.routerHost}:${config.routerPort}`;
  const adminUrl = `http://${config.routerHost}:${config.adminPort}`;
  try {
    for (const url of [publicUrl, adminUrl]) {
      await waitUntil(
        async () => (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) })).ok,
        {
          what: `router at ${url}`,
          timeoutMs: 60_000,
          abort: diedHint(ctx, process),
        },
      );
    }
    return {
      rows: [
        { component: 'router', url: publicUrl, state: 'up' },
        { component: 'admin api', url: adminUrl, state: 'up' },
      ],
      processes: [process],
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
