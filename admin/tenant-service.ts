/**
 * Tenant operations behind the admin routes. The registry holds the
 * administrative record (tier, credentials); the workflow holds the lifecycle
 * and is the one writer of the record's `status` (suspend, resume and offboard
 * are its updates; it writes the status through an activity). Every change
 * the router's hot path depends on drops the router's cached lookup so it
 * takes effect at once.
 */
import { performance } from 'node:perf_hooks';
import { invalidateTenantLookup } from '../endpoints/tenant-lookup-keys.js';
import { TenantNotFoundError } from '../registry/errors.js';
import { SECRET_NAMES } from '../registry/secret-store.js';
import type { TenantRecord, TenantStatus } from '../registry/tenant-record.js';
import { DEFAULT_SETTINGS, TenantPhaseAttr, tenantWorkflowId } from '../workflows/shared.js';
import type { OffboardPlan, TenantPhase } from '../workflows/types.js';
import type { AdminDeps } from './deps.js';
import { AdminError } from './errors.js';
import type { CreateTenantInput, PatchTenantInput } from './schemas.js';
import { TelegramService } from './telegram-service.js';
import { secretRefKey, tenantView } from './tenant-view.js';

export class TenantService {
  readonly telegram: TelegramService;

  constructor(private readonly deps: AdminDeps) {
    this.telegram = new TelegramService(deps);
  }

  async require(tenantId: string): Promise<TenantRecord> {
    const record = await this.deps.registry.get(tenantId);
    if (!record) throw new TenantNotFoundError(tenantId);
    return record;
  }

  /**
   * Record, secrets, credentials, then the workflow (asleep, accepting
   * signals) and, with a bot token, the Telegram webhook: the tenant can
   * receive its first message when this returns. A bot token Telegram
   * refuses fails the request before anything is written. A failure after
   * the record exists undoes what was written, so a retry starts clean
   * instead of hitting TENANT_EXISTS.
   */
  async create(input: CreateTenantInput) {
    const started = performance.now();
    const { tenantId } = input;
    const tier = input.tier ?? 'standard';
    const openclawVersion = input.openclawVersion ?? DEFAULT_SETTINGS.openclawVersion;
    const supplied = Object.entries(input.secrets ?? {});
    const botToken = input.secrets?.[SECRET_NAMES.telegramBotToken];
    const bot = botToken !== undefined ? await this.telegram.checkToken(botToken) : null;
    await this.deps.registry.create({
      tenantId,
      displayName: input.displayName ?? tenantId,
      tier,
      openclawVersion,
      ...(input.idleTimeoutMs !== undefined && { idleTimeoutMs: input.idleTimeoutMs }),
      ...(input.quotas && { quotas: input.quotas }),
      ...(input.channels && { channels: input.channels }),
      ...(input.tools && { tools: input.tools }),
      ...(bot && { telegramBot: { id: bot.id, username: bot.username } }),
    });
    try {
      const derived = await this.deps.secrets.ensureDerived(tenantId);
      for (const [name, value] of supplied) await this.deps.secrets.put(tenantId, name, value);
      await this.deps.credentials.issueWebhookSecret(tenantId);
      const { keyId, apiKey } = await this.deps.credentials.issueApiKey(tenantId);
      const names = [...derived, ...supplied.map(([name]) => name), 'telegram-webhook-secret'];
      const record = await this.addSecretRefs(tenantId, names);
      const { workflowId } = await this.deps.tenants.ensureStarted(tenantId, {
        tier,
        openclawVersion,
        idleTimeout: record.idleTimeoutMs,
      });
      await invalidateTenantLookup(this.deps.redis, tenantId);
      // Not undone on failure: the tenant exists and works for the chat API; the answer says what Telegram did.
      const telegram = bot
        ? { botUsername: bot.username, webhook: await this.telegram.register(tenantId) }
        : null;
      const onboardingMs = Math.round(performance.now() - started);
      return { record, workflowId, apiKey: { keyId, apiKey }, onboardingMs, telegram };
    } catch (error) {
      // Includes TenantDeletedError: an offboarded id keeps its history and is never reused.
      await this.undoCreate(tenantId);
      throw error;
    }
  }

  private async undoCreate(tenantId: string): Promise<void> {
    await this.deps.secrets.deleteAll(tenantId).catch(() => undefined);
    await this.deps.registry.deleteTenant(tenantId).catch(() => undefined);
  }

  /** Records which secrets exist under their logical names (the values stay in the secret store). */
  async addSecretRefs(tenantId: string, names: readonly string[]): Promise<TenantRecord> {
    return this.patchRecord(tenantId, (record) => ({
      secretRefs: { ...record.secretRefs, ...Object.fromEntries(names.map((n) => [secretRefKey(n), n])) },
    }));
  }

  async removeSecretRef(tenantId: string, name: string): Promise<TenantRecord> {
    return this.patchRecord(tenantId, (record) => ({
      secretRefs: Object.fromEntries(Object.entries(record.secretRefs).filter(([, n]) => n !== name)),
    }));
  }

  /** Read-modify-write under the optimistic lock, retried on a concurrent writer. */
  private async patchRecord(
    tenantId: string,
    change: (record: TenantRecord) => Parameters<AdminDeps['registry']['update']>[1],
  ): Promise<TenantRecord> {
    for (let attempt = 1; ; attempt++) {
      const record = await this.require(tenantId);
      try {
        return await this.deps.registry.update(tenantId, change(record), record.version);
      } catch (error) {
        if ((error as { code?: string }).code !== 'VERSION_CONFLICT' || attempt >= 5) throw error;
      }
    }
  }

  /** Record, the workflow's phase (visibility), live description (bounded wait) and Telegram connection. */
  async get(tenantId: string) {
    const record = await this.require(tenantId);
    const today = new Date().toISOString().slice(0, 10);
    const [phase, live, telegram, quotaHits, sandbox] = await Promise.all([
      this.phase(tenantId),
      this.live(tenantId),
      this.telegram.connection(record),
      this.deps.registry.quotaHits(tenantId, today),
      this.deps.sandbox?.(tenantId) ?? null,
    ]);
    return { tenant: tenantView(record), phase, live, telegram, quotaHits, sandbox };
  }

  async phase(tenantId: string): Promise<TenantPhase | null> {
    try {
      const info = await this.deps.temporal.workflow.getHandle(tenantWorkflowId(tenantId)).describe();
      return (info.typedSearchAttributes.get(TenantPhaseAttr) as TenantPhase | undefined) ?? null;
    } catch (error) {
      if ((error as Error).name === 'WorkflowNotFoundError') return null;
      throw error;
    }
  }

  private async live(tenantId: string): Promise<unknown> {
    const timeoutMs = this.deps.describeTimeoutMs ?? 2000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
    try {
      return await Promise.race([this.deps.tenants.describe(tenantId).catch(() => null), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Applies `patch` if the record is at `expectedVersion` (from If-Match).
   * Workflow settings go through `configure` first, whose validator refuses
   * impossible changes (e.g. an offboarding tenant) before the registry moves.
   */
  async update(tenantId: string, patch: PatchTenantInput, expectedVersion?: number) {
    const record = await this.require(tenantId);
    const version = expectedVersion ?? record.version;
    if (version !== record.version) {
      throw new AdminError(
        409,
        'VERSION_CONFLICT',
        `tenant ${tenantId} is at version ${record.version}, not ${version}`,
      );
    }
    const workflowPatch = {
      ...(patch.tier !== undefined && patch.tier !== record.tier && { tier: patch.tier }),
      ...(patch.openclawVersion !== undefined &&
        patch.openclawVersion !== record.openclawVersion && { openclawVersion: patch.openclawVersion }),
      ...(patch.idleTimeoutMs !== undefined &&
        patch.idleTimeoutMs !== record.idleTimeoutMs && { idleTimeout: patch.idleTimeoutMs }),
    };
    if (Object.keys(workflowPatch).length > 0) await this.deps.tenants.configure(tenantId, workflowPatch);
    // A version an operator sets is a pin (fleet upgrades skip it) unless the same request releases it.
    const pin = patch.openclawVersion !== undefined && patch.openclawPinned === undefined;
    const updated = await this.deps.registry.update(
      tenantId,
      pin ? { ...patch, openclawPinned: true } : patch,
      version,
    );
    return tenantView(updated);
  }

  async wake(tenantId: string) {
    await this.requireStatus(tenantId, ['active', 'failed'], 'wake');
    const pod = await this.deps.tenants.wake(tenantId);
    return { tenantId, podId: pod.podId };
  }

  async sleep(tenantId: string) {
    await this.require(tenantId);
    await this.deps.tenants.sleep(tenantId);
    return { tenantId, accepted: true };
  }

  /** The workflow marks the record suspended as soon as it accepts the update, then drains. */
  async suspend(tenantId: string, reason: string) {
    await this.require(tenantId);
    return { tenantId, phase: await this.deps.tenants.suspend(tenantId, reason) };
  }

  async resume(tenantId: string) {
    await this.require(tenantId);
    const phase = await this.deps.tenants.resume(tenantId);
    return { tenantId, phase };
  }

  async offboard(tenantId: string, request: { dryRun?: boolean; graceDays?: number }) {
    await this.require(tenantId);
    const plan: OffboardPlan = await this.deps.tenants.offboard(tenantId, request);
    return {
      tenantId: plan.tenantId,
      dryRun: plan.dryRun,
      deleteAfter: plan.deleteAfter,
      snapshots: plan.snapshots.map(({ seq, size, createdAt }) => ({ seq, size, createdAt })),
      secretNames: [...plan.secretNames],
      registryRecord: plan.registryRecord,
      kept: ['usage records (billing history)', 'workflow history (until namespace retention)'],
    };
  }

  private async requireStatus(tenantId: string, allowed: TenantStatus[], operation: string): Promise<void> {
    const record = await this.require(tenantId);
    if (!allowed.includes(record.status)) {
      throw new AdminError(
        409,
        'TENANT_OPERATION_REJECTED',
        `cannot ${operation} a tenant that is ${record.status}`,
      );
    }
  }
}
