/**
 * The tenant's data outside its pod, for offboarding: what would be deleted,
 * the deletions, and the Telegram webhook (kept current while the tenant
 * lives, deleted when it goes).
 */
import { log } from '@temporalio/activity';
import type { SnapshotManifest } from '../workflows/types.js';
import { guarded } from './activity-boundary.js';
import type { TenantRef } from './activity-inputs.js';
import type { ActivityDeps, WebhookRegistered } from './ports.js';

export interface OffboardInventory {
  readonly snapshots: SnapshotManifest[];
  readonly secretNames: string[];
  readonly registryRecord: boolean;
}

export function createTenantDataActivities({
  snapshots,
  registry,
  endpoints,
  secrets,
  telegram,
}: ActivityDeps) {
  return {
    /** What an offboard would delete (names and manifests only, never secret values). */
    async inventoryTenant(input: TenantRef): Promise<OffboardInventory> {
      return guarded(async () => {
        const [manifests, secretNames, record] = await Promise.all([
          snapshots.list(input.tenantId),
          secrets.list(input.tenantId),
          registry.getTenant(input.tenantId),
        ]);
        return { snapshots: manifests, secretNames, registryRecord: record !== null };
      });
    },

    /**
     * The tenant's Telegram webhook made current: replaced bots' webhooks
     * deleted, then the current bot registered with the current secret.
     * Tokens and the secret never leave the adapter.
     */
    async syncTelegramWebhook(input: TenantRef): Promise<{ registered: WebhookRegistered | null }> {
      return guarded(async (signal) => {
        const removed = await telegram.unregister(input.tenantId, { signal });
        const registered = await telegram.register(input.tenantId, { signal });
        log.info('telegram webhook synced', { tenantId: input.tenantId, url: registered?.url, removed });
        return { registered };
      });
    },

    /** Telegram holds the secret behind `secretHash` (and nothing older): the router accepts only it and the stored one. */
    async confirmWebhookSecret(input: TenantRef & { secretHash: string }): Promise<void> {
      await guarded(async () => {
        await telegram.confirm(input.tenantId, input.secretHash);
        await endpoints.invalidateTenantView(input.tenantId);
      });
    },

    /** Offboarding: no bot of the tenant keeps calling a tenant that is gone. */
    async deleteTelegramWebhooks(input: TenantRef): Promise<number> {
      return guarded(async (signal) => {
        const removed = await telegram.unregister(input.tenantId, { everyBot: true, signal });
        log.info('telegram webhooks deleted', { tenantId: input.tenantId, removed });
        return removed;
      });
    },

    async deleteSnapshots(input: TenantRef): Promise<void> {
      await guarded(() => snapshots.deleteAll(input.tenantId));
    },

    async deleteSecrets(input: TenantRef): Promise<void> {
      await guarded(() => secrets.deleteAll(input.tenantId));
    },

    async deleteRegistryRecord(input: TenantRef): Promise<void> {
      await guarded(() => registry.deleteTenant(input.tenantId));
      log.info('tenant deleted', { tenantId: input.tenantId });
    },
  };
}
