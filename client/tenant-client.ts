/**
 * `TenantClient`: how the router, the CLI and billing integrations talk to
 * tenant workflows. Every call is addressed by tenant id (workflow id
 * `tenant-<tenantId>`); calls that must reach a sleeping or never-started
 * tenant use signal-with-start / update-with-start, so callers never need to
 * know whether the workflow exists. Durations are strings like '15m' here
 * and milliseconds inside the workflow.
 */
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { assertTenantId } from '../common/ids.js';
import {
  configureUpdate,
  DEFAULT_TASK_QUEUE,
  deliverSignal,
  describeQuery,
  offboardUpdate,
  restoreSnapshotUpdate,
  resumeUpdate,
  sleepNowSignal,
  suspendUpdate,
  registerWebhookUpdate,
  TELEGRAM_WEBHOOK_WORKFLOW_TYPE,
  telegramWebhookWorkflowId,
  TENANT_WORKFLOW_TYPE,
  tenantWorkflowId,
  wakeUpdate,
  type Envelope,
  type OffboardPlan,
  type OffboardRequest,
  type PodHandle,
  type SnapshotRestore,
  type TenantDescription,
  type TenantPhase,
  type TenantSettings,
  type WebhookSync,
} from '../workflows/shared.js';
import type { telegramWebhookWorkflow } from '../workflows/telegram-webhook-workflow.js';
import type { tenantWorkflow } from '../workflows/tenant-workflow.js';
import { listTenants, type TenantListOptions, type TenantSummary } from './tenant-list.js';
import { TenantDeletedError, TenantNotFoundError, TenantOperationRejectedError } from './errors.js';

export interface TenantClientOptions {
  readonly client: Client;
  /** @default DEFAULT_TASK_QUEUE ('clawfleet-tenants') */
  readonly taskQueue?: string;
}
import {
  settingsPatch,
  tenantStartOptions,
  type TenantConfigureOptions,
  type TenantStartOptions,
} from './tenant-start.js';

export type { TenantConfigureOptions, TenantStartOptions };

type TenantHandle = WorkflowHandle<typeof tenantWorkflow>;

export type { TenantListOptions, TenantSummary };

export class TenantClient {
  private readonly client: Client;
  /** Where tenant workflows (and fleet upgrades) run. */
  readonly taskQueue: string;

  constructor(options: TenantClientOptions) {
    this.client = options.client;
    this.taskQueue = options.taskQueue ?? DEFAULT_TASK_QUEUE;
  }

  /** Start the tenant's workflow (asleep) unless it already runs. */
  async ensureStarted(
    tenantId: string,
    options: TenantStartOptions = {},
  ): Promise<{ workflowId: string; runId: string }> {
    const handle = await this.guard(tenantId, 'start', () =>
      this.client.workflow.start(TENANT_WORKFLOW_TYPE, {
        ...this.startOptions(tenantId, options),
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    );
    return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
  }

  /** Durable hand-off of one message (cold path): returns once Temporal has accepted the signal. */
  async deliver(
    tenantId: string,
    envelope: Envelope,
    options: TenantStartOptions = {},
    /** Stops waiting (and the client's retries); a signal Temporal accepted is still delivered. */
    signal?: AbortSignal,
  ): Promise<void> {
    const call = () =>
      this.client.workflow.signalWithStart(TENANT_WORKFLOW_TYPE, {
        ...this.startOptions(tenantId, options),
        signal: deliverSignal,
        signalArgs: [envelope],
      });
    await this.guard(tenantId, 'deliver', () =>
      signal ? this.client.withAbortSignal(signal, call) : call(),
    );
  }

  /**
   * Register the tenant's Telegram webhook from the control plane (its bot
   * token or webhook secret changed); the tenant is not woken. Resolves once
   * a registration that started after this call has finished.
   */
  async syncTelegramWebhook(
    tenantId: string,
    /** How long the secret Telegram held before stays accepted after the switch. @default 60_000 */
    previousSecretGraceMs?: number,
  ): Promise<WebhookSync> {
    assertTenantId(tenantId);
    const call = () =>
      this.client.workflow.executeUpdateWithStart(registerWebhookUpdate, {
        startWorkflowOperation: new WithStartWorkflowOperation<typeof telegramWebhookWorkflow>(
          TELEGRAM_WEBHOOK_WORKFLOW_TYPE,
          {
            taskQueue: this.taskQueue,
            workflowId: telegramWebhookWorkflowId(tenantId),
            args: [{ tenantId, ...(previousSecretGraceMs !== undefined && { previousSecretGraceMs }) }],
            workflowIdConflictPolicy: 'USE_EXISTING',
            staticSummary: `Telegram webhook of ${tenantId}`,
          },
        ),
      });
    try {
      return await call();
    } catch (error) {
      // The run was completing as the update arrived: the next call starts a fresh run.
      if (error instanceof WorkflowUpdateFailedError) throw error;
      return call();
    }
  }

  /** Wake the tenant (starting its workflow if needed) and return its pod once the agent is ready. */
  async wake(
    tenantId: string,
    options: TenantStartOptions = {},
    /** Stops waiting (and the client's retries); an update Temporal accepted still runs. */
    signal?: AbortSignal,
  ): Promise<PodHandle> {
    const startWorkflowOperation = new WithStartWorkflowOperation<typeof tenantWorkflow>(
      TENANT_WORKFLOW_TYPE,
      {
        ...this.startOptions(tenantId, options),
        workflowIdConflictPolicy: 'USE_EXISTING',
      },
    );
    const call = () => this.client.workflow.executeUpdateWithStart(wakeUpdate, { startWorkflowOperation });
    return this.guard(tenantId, 'wake', () => (signal ? this.client.withAbortSignal(signal, call) : call()));
  }

  /** Drain and hold the tenant (final snapshot first); returns the new phase. */
  suspend(tenantId: string, reason: string): Promise<TenantPhase> {
    return this.guard(tenantId, 'suspend', () =>
      this.handle(tenantId).executeUpdate(suspendUpdate, { args: [reason] }),
    );
  }

  /**
   * Drain (final snapshot, stop) once the running turn ends, instead of waiting for the idle deadline; returns
   * once signalled.
   */
  async sleep(tenantId: string): Promise<void> {
    await this.guard(tenantId, 'sleep', () =>
      this.handle(tenantId).signal(sleepNowSignal, undefined, 'after-turn'),
    );
  }

  resume(tenantId: string): Promise<TenantPhase> {
    return this.guard(tenantId, 'resume', () => this.handle(tenantId).executeUpdate(resumeUpdate));
  }

  configure(tenantId: string, options: TenantConfigureOptions): Promise<TenantSettings> {
    const patch = settingsPatch(options);
    return this.guard(tenantId, 'configure', () =>
      this.handle(tenantId).executeUpdate(configureUpdate, { args: [patch] }),
    );
  }

  /** Dry run: what would be deleted. Real: returns once the tenant is drained and the grace timer runs. */
  offboard(tenantId: string, request: OffboardRequest = {}): Promise<OffboardPlan> {
    return this.guard(tenantId, 'offboard', () =>
      this.handle(tenantId).executeUpdate(offboardUpdate, { args: [request] }),
    );
  }

  /** Save snapshot `seq` again as the newest and record it; only while the tenant is asleep, suspended or failed. */
  restoreSnapshot(tenantId: string, seq: number): Promise<SnapshotRestore> {
    return this.guard(tenantId, 'restore a snapshot of', () =>
      this.handle(tenantId).executeUpdate(restoreSnapshotUpdate, { args: [seq] }),
    );
  }

  describe(tenantId: string): Promise<TenantDescription> {
    return this.guard(tenantId, 'describe', () => this.handle(tenantId).query(describeQuery));
  }

  /** Tenants by phase/tier from visibility (eventually consistent; no worker needed). */
  list(options: TenantListOptions = {}): Promise<TenantSummary[]> {
    return listTenants(this.client, options);
  }

  private handle(tenantId: string): TenantHandle {
    return this.client.workflow.getHandle<typeof tenantWorkflow>(tenantWorkflowId(assertTenantId(tenantId)));
  }

  private startOptions(tenantId: string, options: TenantStartOptions) {
    return tenantStartOptions(this.taskQueue, assertTenantId(tenantId), options);
  }

  /** Maps Temporal errors to clawfleet errors with stable codes. */
  private async guard<T>(tenantId: string, operation: string, call: () => Promise<T>): Promise<T> {
    assertTenantId(tenantId);
    try {
      return await call();
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) {
        throw new TenantOperationRejectedError(tenantId, operation, error.cause?.message ?? error.message, {
          cause: error,
        });
      }
      if (error instanceof WorkflowNotFoundError) throw new TenantNotFoundError(tenantId, { cause: error });
      if (error instanceof WorkflowExecutionAlreadyStartedError)
        throw new TenantDeletedError(tenantId, { cause: error });
      throw error;
    }
  }
}
