/**
 * The fleet upgrade's port on the real parts: candidates from the registry,
 * versions set through each tenant's workflow (`configure`, the one writer of
 * its settings) and then on its registry record, health read from the
 * workflow's `describe()`, and the install delegated to the runtime's
 * wiring (the local install cache, or nothing where images carry OpenClaw).
 */
import type { Client } from '@temporalio/client';
import type { FleetCandidate, FleetPort, SetVersionOptions, SetVersionOutcome } from '../activities/fleet.js';
import {
  TenantNotFoundError as WorkflowMissingError,
  TenantOperationRejectedError,
} from '../client/errors.js';
import { TenantClient } from '../client/tenant-client.js';
import type { DynamoRegistry } from '../registry/dynamo-registry.js';
import { TENANT_STATUSES } from '../registry/tenant-record.js';
import { sleepNowSignal, tenantWorkflowId } from '../workflows/shared.js';
import type { VersionHealthRecord } from '../workflows/types.js';

export interface FleetAdapterDeps {
  readonly registry: DynamoRegistry;
  readonly client: Client;
  readonly taskQueue: string;
  /** Makes a version launchable ahead of the first wake. */
  readonly install: (version: string) => Promise<void>;
}

const gone = (error: unknown) =>
  error instanceof WorkflowMissingError ||
  error instanceof TenantOperationRejectedError ||
  (error as { code?: string }).code === 'TENANT_NOT_FOUND';

export class FleetAdapter implements FleetPort {
  private readonly tenants: TenantClient;

  constructor(private readonly deps: FleetAdapterDeps) {
    this.tenants = new TenantClient({ client: deps.client, taskQueue: deps.taskQueue });
  }

  async candidates(): Promise<FleetCandidate[]> {
    const found: FleetCandidate[] = [];
    for (const status of TENANT_STATUSES) {
      if (status === 'offboarding') continue;
      let cursor: string | null = null;
      do {
        const page = await this.deps.registry.listByStatus(status, { limit: 1000, cursor });
        for (const r of page.items)
          found.push({
            tenantId: r.tenantId,
            tier: r.tier,
            openclawVersion: r.openclawVersion,
            pinned: r.openclawPinned ?? false,
          });
        cursor = page.cursor;
      } while (cursor);
    }
    return found;
  }

  install(version: string): Promise<void> {
    return this.deps.install(version);
  }

  async setVersion(
    tenantId: string,
    version: string,
    options: SetVersionOptions,
  ): Promise<SetVersionOutcome> {
    const { registry } = this.deps;
    for (let attempt = 1; ; attempt += 1) {
      const record = await registry.get(tenantId);
      if (!record) return 'gone';
      if (record.openclawPinned) {
        // Pinned while this write was under way: the workflow gets the operator's version back.
        if (attempt > 1) await this.tenants.configure(tenantId, { openclawVersion: record.openclawVersion });
        return 'pinned';
      }
      try {
        // The workflow first: its validator refuses tenants that are leaving before the record moves.
        await this.tenants.configure(tenantId, { openclawVersion: version });
        if (record.openclawVersion !== version)
          await registry.update(tenantId, { openclawVersion: version }, record.version);
      } catch (error) {
        if (gone(error)) return 'gone';
        // Someone else wrote the record meanwhile (maybe a pin): read it again.
        if ((error as { code?: string }).code === 'VERSION_CONFLICT' && attempt < 5) continue;
        throw error;
      }
      break;
    }
    if (options.restartAwake) {
      const handle = this.deps.client.workflow.getHandle(tenantWorkflowId(tenantId));
      // Ignored unless the tenant is awake: sleeping tenants are never woken for an upgrade.
      await handle.signal(
        sleepNowSignal,
        `fleet upgrade: OpenClaw ${version} at the next wake`,
        'after-turn',
      );
    }
    // After the sleep request: a failed tenant is not awake, and once resumed it may wake at once.
    if (options.resumeFailed && (await this.tenants.describe(tenantId)).phase === 'failed')
      await this.tenants.resume(tenantId);
    return 'set';
  }

  async health(tenantId: string): Promise<VersionHealthRecord | null> {
    try {
      return (await this.tenants.describe(tenantId)).versionHealth ?? null;
    } catch (error) {
      if (gone(error)) return null;
      throw error;
    }
  }
}
