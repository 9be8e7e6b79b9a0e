/**
 * The operator-held phases (`suspended`, `failed`, `offboarding`) and the
 * bookkeeping every phase change does (search attributes, current details).
 * TenantLifecycle extends this with the phases that run a pod.
 */
import {
  CancellationScope,
  condition,
  patched,
  setCurrentDetails,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { channel, step, store } from './activity-proxies.js';
import { LastActiveAtAttr, OpenClawVersionAttr, TenantPhaseAttr, TenantTierAttr } from './shared.js';
import { describeFailure } from './failures.js';
import type { TenantState } from './tenant-state.js';
import type { TenantPhase } from './types.js';

/** Histories recorded before the workflow wrote the registry status replay without these activities. */
const REGISTRY_STATUS_PATCH = 'registry-status-from-workflow';
/** Histories of offboards recorded before the webhook was deleted replay without that step. */
const OFFBOARD_WEBHOOK_PATCH = 'offboard-deletes-telegram-webhook';

const DAY_MS = 86_400_000;

export class PhaseBase {
  constructor(protected readonly s: TenantState) {}

  protected get d() {
    return this.s.data;
  }

  /** Record a phase change everywhere an operator looks: search attributes and current details. */
  setPhase(phase: TenantPhase): void {
    this.d.phase = phase;
    this.publishAttributes();
  }

  publishAttributes(): void {
    upsertSearchAttributes([
      { key: TenantPhaseAttr, value: this.d.phase },
      { key: TenantTierAttr, value: this.d.settings.tier },
      { key: OpenClawVersionAttr, value: this.d.settings.openclawVersion },
      { key: LastActiveAtAttr, value: new Date(this.d.lastActiveAtMs) },
    ]);
    this.publishDetails();
  }

  publishDetails(): void {
    setCurrentDetails(this.s.details());
  }

  /**
   * The registry's status is this workflow's to write (one writer): the
   * router refuses a suspended or offboarding tenant from it. Called after
   * every phase step and when a suspension is requested (see
   * `wantedRegistryStatus`). Calls from the loop and from handlers queue up,
   * so each want is written once, in order.
   */
  syncRegistryStatus(): Promise<void> {
    this.statusWrites = this.statusWrites.catch(() => undefined).then(() => this.writeRegistryStatus());
    return this.statusWrites;
  }

  private statusWrites: Promise<void> = Promise.resolve();

  private async writeRegistryStatus(): Promise<void> {
    const d = this.d;
    const status = this.s.wantedRegistryStatus();
    if (status === null || status === d.registryStatus || !patched(REGISTRY_STATUS_PATCH)) return;
    await step(store.setRegistryStatus, `registry status: ${status}`, { tenantId: d.tenantId, status });
    d.registryStatus = status;
  }

  /** `suspended` or `failed`: no pod, waits for an operator. */
  enterHeld(phase: 'suspended' | 'failed', reason: string): void {
    this.d.requests.suspend = null;
    this.d.reason = reason;
    this.setPhase(phase);
  }

  async held(): Promise<void> {
    const r = this.d.requests;
    await condition(
      () => r.resume || r.offboard !== null || (this.d.phase === 'failed' && r.suspend !== null),
    );
    if (r.offboard) return this.enterOffboarding();
    if (r.suspend !== null) return this.enterHeld('suspended', r.suspend);
    r.resume = false;
    this.d.crashTimesMs = [];
    this.d.reason = null;
    this.setPhase('asleep');
  }

  protected enterOffboarding(): void {
    const d = this.d;
    d.deleteAfterMs = Date.now() + (d.requests.offboard?.graceDays ?? 30) * DAY_MS;
    d.requests.offboard = null;
    d.requests.suspend = null;
    d.buffer = [];
    d.bufferedBytes = 0;
    this.setPhase('offboarding');
  }

  /** Waits out the grace period on a durable timer (a `resume` cancels), then deletes everything. */
  async offboarding(): Promise<void> {
    const d = this.d;
    const r = d.requests;
    const remaining = (d.deleteAfterMs ?? Date.now()) - Date.now();
    if (remaining > 0) await condition(() => r.resume, remaining);
    if (r.resume) {
      r.resume = false;
      d.deleteAfterMs = null;
      d.reason = null;
      this.setPhase('asleep');
      return;
    }
    // Deletion must finish even if the workflow is cancelled midway.
    await CancellationScope.nonCancellable(async () => {
      const ref = { tenantId: d.tenantId };
      await step(store.clearEndpoint, 'clear endpoint', ref);
      // Before the secrets go (the bot tokens are among them), so Telegram stops calling a deleted tenant.
      // Bounded: a Bot API that keeps failing must not keep the tenant's data, so deletion goes on.
      if (patched(OFFBOARD_WEBHOOK_PATCH))
        await step(channel.deleteTelegramWebhooks, 'delete the Telegram webhook', ref).catch(
          (error: unknown) => (d.reason = `Telegram webhook not deleted: ${describeFailure(error)}`),
        );
      await step(store.deleteSnapshots, 'delete snapshots', ref);
      await step(store.deleteSecrets, 'delete secrets', ref);
      await step(store.deleteRegistryRecord, 'delete registry record', ref);
    });
    this.setPhase('deleted');
  }
}
