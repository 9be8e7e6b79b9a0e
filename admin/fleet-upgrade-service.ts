/**
 * Fleet upgrades behind the admin routes: each rollout is one
 * `fleetUpgradeWorkflow` (id `fleet-upgrade-<rolloutId>`) on the tenants'
 * task queue. The request is checked with the workflow's own rules before it
 * starts, and one rollout runs at a time (two would move the same tenants).
 */
import { randomBytes } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import {
  abortUpgradeUpdate,
  FLEET_UPGRADE_WORKFLOW_TYPE,
  FleetUpgradeStateAttr,
  fleetUpgradeWorkflowId,
  pauseUpgradeUpdate,
  resumeUpgradeUpdate,
  upgradeProgressQuery,
  type FleetUpgradeInput,
  type FleetUpgradeProgress,
} from '../workflows/fleet-contract.js';
import { checkUpgradeInput } from '../workflows/fleet-gate.js';
import type { fleetUpgradeWorkflow } from '../workflows/fleet-upgrade-workflow.js';
import { OpenClawVersionAttr } from '../workflows/shared.js';
import type { AdminDeps } from './deps.js';
import { AdminError } from './errors.js';
import type { StartUpgradeInput, UpgradeViewData as UpgradeView } from './fleet-upgrade-schemas.js';

function view(p: FleetUpgradeProgress, workflowId: string, execution: string): UpgradeView {
  const health = p.lastHealth;
  return {
    ...p,
    workflowId,
    execution,
    pinned: [...p.pinned],
    verdict: [...p.verdict],
    lastHealth: health ? { ...health, failures: [...health.failures] } : null,
  };
}

export class FleetUpgradeService {
  constructor(private readonly deps: AdminDeps) {}

  async start(body: StartUpgradeInput): Promise<UpgradeView> {
    const rolloutId =
      body.rolloutId ?? `${body.targetVersion.toLowerCase()}-${randomBytes(3).toString('hex')}`;
    const input: FleetUpgradeInput = { ...body, rolloutId };
    const problems = checkUpgradeInput(input);
    if (problems.length > 0) throw new AdminError(400, 'UPGRADE_INVALID', problems.join('; '));
    const { temporal } = this.deps;
    const running = await temporal.workflow.count(
      `WorkflowType = '${FLEET_UPGRADE_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`,
    );
    if (running.count > 0)
      throw new AdminError(
        409,
        'UPGRADE_RUNNING',
        'another fleet upgrade is running; pause or abort it first',
      );
    const workflowId = fleetUpgradeWorkflowId(rolloutId);
    try {
      await temporal.workflow.start(FLEET_UPGRADE_WORKFLOW_TYPE, {
        taskQueue: this.deps.tenants.taskQueue,
        workflowId,
        args: [input],
        staticSummary: `Fleet upgrade to OpenClaw ${input.targetVersion}`,
        typedSearchAttributes: [
          { key: FleetUpgradeStateAttr, value: 'selecting' },
          { key: OpenClawVersionAttr, value: input.targetVersion },
        ],
      });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError)
        throw new AdminError(409, 'UPGRADE_EXISTS', `rollout ${rolloutId} exists already`);
      throw error;
    }
    return this.get(rolloutId);
  }

  async get(rolloutId: string): Promise<UpgradeView> {
    const handle = this.handle(rolloutId);
    return this.guard(rolloutId, async () => {
      const [info, progress] = await Promise.all([handle.describe(), handle.query(upgradeProgressQuery)]);
      return view(progress, handle.workflowId, info.status.name);
    });
  }

  async pause(rolloutId: string, reason: string | undefined): Promise<UpgradeView> {
    await this.guard(rolloutId, () =>
      this.handle(rolloutId).executeUpdate(pauseUpgradeUpdate, { args: [reason ?? ''] }),
    );
    return this.get(rolloutId);
  }

  async resume(rolloutId: string): Promise<UpgradeView> {
    await this.guard(rolloutId, () => this.handle(rolloutId).executeUpdate(resumeUpgradeUpdate));
    return this.get(rolloutId);
  }

  async abort(rolloutId: string, reason: string | undefined): Promise<UpgradeView> {
    await this.guard(rolloutId, () =>
      this.handle(rolloutId).executeUpdate(abortUpgradeUpdate, {
        args: [reason || 'aborted by an operator'],
      }),
    );
    return this.get(rolloutId);
  }

  private handle(rolloutId: string): WorkflowHandle<typeof fleetUpgradeWorkflow> {
    return this.deps.temporal.workflow.getHandle(fleetUpgradeWorkflowId(rolloutId));
  }

  private async guard<T>(rolloutId: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError)
        throw new AdminError(404, 'UPGRADE_NOT_FOUND', `no fleet upgrade ${rolloutId}`);
      if (error instanceof WorkflowUpdateFailedError)
        throw new AdminError(409, 'UPGRADE_REJECTED', error.cause?.message ?? error.message);
      throw error;
    }
  }
}
