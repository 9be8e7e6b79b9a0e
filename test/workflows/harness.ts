/**
 * Shared set-up of the workflow suites: one time-skipping server and one
 * workflow bundle per suite, a fresh Worker (with a FakeWorld) per test, and
 * unique tenant ids so tests never see each other's workflows.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { WorkflowUpdateFailedError, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Runtime, DefaultLogger, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities, type TenantActivities } from '../../activities/index.js';
import { createLocalEnv, createTimeSkippingEnv } from '../helpers/temporal.js';
import {
  describeQuery,
  tenantWorkflowId,
  type TenantSettings,
  type TenantWorkflowInput,
} from '../../workflows/shared.js';
import type { TenantDescription, TenantPhase } from '../../workflows/types.js';
import { tenantWorkflow } from '../../workflows/tenant-workflow.js';
import { FakeWorld } from './fake-world.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

let runtimeInstalled = false;
/** Keep the SDK quiet unless something is wrong. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    });
  } catch {
    // already installed by another suite in this process
  }
}

/** One time-skipping server with the search attributes registered. */
export async function createWorkflowTestEnv(): Promise<TestWorkflowEnvironment> {
  return createTimeSkippingEnv();
}

/**
 * One time-skipping server and one workflow bundle for the enclosing mocha
 * suite; read `suite.env` and `suite.bundle` inside tests (set by `before`).
 * `realTime` gives the suite a dev server instead: for scenarios with several
 * workers at once, which the time-skipping server does not handle reliably.
 */
export function useWorkflowSuite(options: { realTime?: boolean } = {}): {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundle;
} {
  const suite = {} as { env: TestWorkflowEnvironment; bundle: WorkflowBundle };
  before(async () => {
    quietRuntime();
    const env = options.realTime ? createLocalEnv() : createWorkflowTestEnv();
    [suite.env, suite.bundle] = await Promise.all([env, bundle()]);
  });
  after(async () => suite.env?.teardown());
  return suite;
}

export async function bundle(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('ERROR') });
}

export function uniqueTenantId(prefix = 't'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export interface TenantTest {
  readonly tenantId: string;
  readonly world: FakeWorld;
  readonly handle: WorkflowHandleWithFirstExecutionRunId<typeof tenantWorkflow>;
  describe(): Promise<TenantDescription>;
  /** Polls `describe()` (real time) until `check` holds. */
  until(
    check: (d: TenantDescription) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<TenantDescription>;
  phase(phase: TenantPhase): Promise<TenantDescription>;
  /**
   * Waits, without queries, until the first run has continued as new (the
   * tenant fell asleep). A query sent while the run continues as new can leave
   * the time-skipping server stalled, so a long `env.sleep` afterwards would
   * wait in real time (measured: 1 in 3 whole-file runs of tenant-wake-sleep).
   */
  continuedAsNew(timeoutMs?: number): Promise<void>;
}

export async function runTenant(
  env: TestWorkflowEnvironment,
  workflowBundle: WorkflowBundle,
  options: {
    settings?: Partial<TenantSettings>;
    world?: FakeWorld;
    /** Replace single activities of the FakeWorld's set (e.g. one that looks at other tenants). */
    activities?: Partial<TenantActivities>;
  },
  body: (t: TenantTest) => Promise<void>,
): Promise<void> {
  const tenantId = options.world?.tenantId ?? uniqueTenantId();
  const world = options.world ?? new FakeWorld(tenantId);
  const taskQueue = `tq-${tenantId}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle,
    activities: { ...createActivities(world.deps()), ...options.activities },
  });
  const input: TenantWorkflowInput = { tenantId, settings: options.settings ?? {} };
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(tenantWorkflow, {
      taskQueue,
      workflowId: tenantWorkflowId(tenantId),
      args: [input],
    });
    const describe = () => describeWithRetry(env, tenantId);
    const until = async (check: (d: TenantDescription) => boolean, what: string, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      let last: TenantDescription | undefined;
      for (;;) {
        last = await describe();
        if (check(last)) return last;
        if (Date.now() > deadline)
          throw new Error(
            `timed out waiting for ${what}; last: ${JSON.stringify(last)}; events: ${world.events.join(', ')}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const phase = (p: TenantPhase) => until((d) => d.phase === p, `phase ${p}`);
    const continuedAsNew = async (timeoutMs = 15_000) => {
      const latest = env.client.workflow.getHandle(tenantWorkflowId(tenantId));
      const deadline = Date.now() + timeoutMs;
      while ((await latest.describe()).runId === handle.firstExecutionRunId) {
        if (Date.now() > deadline) throw new Error(`no continue-as-new within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    try {
      await body({ tenantId, world, handle, describe, until, phase, continuedAsNew });
    } finally {
      // A left-over workflow's timers would fire with no worker polling and stall time skipping for the next test.
      await env.client.workflow
        .getHandle(tenantWorkflowId(tenantId))
        .terminate('test finished')
        .catch(() => undefined);
    }
  });
}

/** How long one describe query may take before it is sent again. */
const QUERY_ATTEMPT_MS = 5_000;

/**
 * The time-skipping test server sometimes never answers a query sent while a
 * run continues as new (measured: 2 of 8 runs of tenant-crash.test.ts hung in
 * one query, none after a fresh query). Each attempt has its own deadline and
 * a stalled one is sent again, so a test waits on the workflow, not on a lost
 * query.
 */
async function describeWithRetry(env: TestWorkflowEnvironment, tenantId: string): Promise<TenantDescription> {
  const handle = env.client.workflow.getHandle(tenantWorkflowId(tenantId));
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await env.client.withDeadline(Date.now() + QUERY_ATTEMPT_MS, () => handle.query(describeQuery));
    } catch (error) {
      if (attempt >= 4 || !isDeadlineExceeded(error)) throw error;
    }
  }
}

function isDeadlineExceeded(error: unknown): boolean {
  const text = `${String(error)} ${String((error as { cause?: unknown }).cause)}`;
  return /DEADLINE_EXCEEDED|deadline exceeded/i.test(text);
}

/** Asserts an update failed (validator or handler) with a message matching `pattern`. */
export async function rejectedUpdate(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof WorkflowUpdateFailedError, String(error));
    assert.match(String(error.cause?.message), pattern);
    return true;
  });
}
