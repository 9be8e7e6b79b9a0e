/**
 * clawfleet's own processes in the dev stack: the worker, the admin API, the
 * model gateway and the router, run with the same Node that runs the stack (Node 24 under npm),
 * built or from source as common/entry-points.ts decides. The router gets no master key setting: it reads only the router
 * key file the admin API writes, so the admin API starts first.
 */
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { configToEnv, withoutMasterKey, type Config, type ConfigOverrides } from '../../common/config.js';
import { nodeArgs, PACKAGE_ROOT, type ClawfleetEntry } from '../../common/entry-points.js';
import { PARENT_WATCHDOG_FLAG } from '../../common/parent-watchdog.js';
import { ManagedProcess } from '../managed-process.js';
import { listensOn } from '../listening.js';
import { waitUntil } from '../ports.js';
import type { ComponentContext, RunningComponent, StatusRow } from './component.js';

function startNodeEntry(
  ctx: ComponentContext,
  name: string,
  entry: ClawfleetEntry,
  config: ConfigOverrides,
  inherited: NodeJS.ProcessEnv = process.env,
): ManagedProcess {
  return ManagedProcess.start({
    name,
    command: process.execPath,
    args: nodeArgs(entry, PARENT_WATCHDOG_FLAG),
    cwd: PACKAGE_ROOT,
    env: { ...inherited, ...configToEnv(config) },
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

/** Whether local tenants run sandboxed: running without is a setting, and the table says so. */
export function tenantSandboxRow(config: Config): StatusRow {
  return config.local.sandbox === 'on'
    ? { component: 'tenant sandbox', url: `uid ${config.local.sandboxUidBase}+slot`, state: 'on' }
    : { component: 'tenant sandbox', url: 'CLAWFLEET_LOCAL_SANDBOX=off', state: 'OFF (tenants unsandboxed)' };
}

/** The worker; ready once Temporal sees it polling the tenant task queue. */
export async function startWorker(ctx: ComponentContext, config: Config): Promise<RunningComponent> {
  const process = startNodeEntry(ctx, 'worker', 'worker/main', config);
  // The worker hands its tenants over when it stops (a restart); dev/stack.ts ends them when the stack stops.
  const stop = () => process.stop(20_000);
  try {
    const connection = await Connection.connect({ address: config.temporal.address });
    try {
      await waitUntil(
        async () => {
          const response = await connection.workflowService.describeTaskQueue({
            namespace: config.temporal.namespace,
            taskQueue: { name: config.temporal.taskQueue },
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
      rows: [
        { component: 'worker', url: `task queue ${config.temporal.taskQueue}`, state: 'up (polling)' },
        tenantSandboxRow(config),
      ],
      processes: [process],
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Waits for `/healthz` at `url`; the process's death ends the wait. */
async function healthy(ctx: ComponentContext, child: ManagedProcess, what: string, url: string) {
  await waitUntil(async () => (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) })).ok, {
    what: `${what} at ${url}`,
    timeoutMs: 60_000,
    abort: diedHint(ctx, child),
  });
}

/** The admin API (it holds the master key, and writes the router key file at start); ready when `/healthz` answers. */
export async function startAdmin(ctx: ComponentContext, config: Config): Promise<RunningComponent> {
  const admin = startNodeEntry(ctx, 'admin', 'admin/server', config);
  const stop = () => admin.stop(10_000);
  const url = `http://${config.router.host}:${config.admin.port}`;
  try {
    await healthy(ctx, admin, 'admin API', url);
    return { rows: [{ component: 'admin api', url, state: 'up' }], processes: [admin], stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The model gateway (tenants' model provider; holds the provider keys); ready when `/healthz` answers. */
export async function startGateway(ctx: ComponentContext, config: Config): Promise<RunningComponent> {
  const gateway = startNodeEntry(ctx, 'gateway', 'gateway/server', config);
  const stop = () => gateway.stop(10_000);
  const url = `http://${config.gateway.host}:${config.gateway.port}`;
  try {
    await healthy(ctx, gateway, 'model gateway', url);
    return {
      rows: [{ component: 'model gateway', url: `${url}/v1`, state: 'up' }],
      processes: [gateway],
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The public router; ready when `/healthz` answers. It is given no master key
 * setting at all. One of `replicas` processes sharing the port
 * (`router.reusePort`): `/healthz` may then be answered by a sibling, so this
 * one is ready once it listens itself; the first carries the status row.
 */
export async function startRouter(
  ctx: ComponentContext,
  config: Config,
  replica = { name: 'router', index: 0, of: 1 },
): Promise<RunningComponent> {
  const { CLAWFLEET_MASTER_KEY_FILE: _inherited, ...env } = process.env;
  const router = startNodeEntry(ctx, replica.name, 'router/server', withoutMasterKey(config), env);
  const stop = () => router.stop(10_000);
  const url = `http://${config.router.host}:${config.router.port}`;
  try {
    await healthy(ctx, router, 'router', url);
    if (config.router.reusePort)
      await waitUntil(() => listensOn(router.pid!, config.router.port), {
        what: `${replica.name} listening on port ${config.router.port}`,
        timeoutMs: 60_000,
        abort: diedHint(ctx, router),
      });
    const state = replica.of > 1 ? `up (${replica.of} processes, SO_REUSEPORT)` : 'up';
    const rows = replica.index === 0 ? [{ component: 'router', url, state }] : [];
    return { rows, processes: [router], stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
