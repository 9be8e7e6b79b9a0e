/**
 * Typed client of the clawfleet admin API for billing systems and the CLI.
 * Errors are `AdminApiError` carrying the problem+json `code` and HTTP
 * status, or `AdminUnavailableError` when the API cannot be reached.
 *
 *   const admin = new AdminClient({ baseUrl: 'http://127.0.0.1:8081', token });
 *   const { apiKey } = await admin.createTenant({ tenantId: 'acme', tier: 'pro' }, { idempotencyKey: orderId });
 *   await admin.suspend('acme', 'unpaid invoice');
 */
import type { LogLine } from '../admin/log-source.js';
import type { Problem } from '../common/problem.js';
import type { CreateTenantInput, PatchTenantInput, TenantViewData } from '../admin/schemas.js';
import type { StartUpgradeInput, UpgradeViewData } from '../admin/fleet-upgrade-schemas.js';
import type { TenantPhase, TenantTier } from '../workflows/types.js';
import { AdminHttp, enc } from './admin-http.js';
import type {
  AdminClientOptions,
  CreatedTenant,
  OffboardResult,
  SnapshotInfo,
  TelegramChange,
  TenantDetail,
  FleetUsageReport,
  UsageReport,
  WebhookStateData,
} from './admin-types.js';

export * from './admin-types.js';
export type { CreateTenantInput, PatchTenantInput, TenantViewData as TenantView, LogLine, Problem };
export type { StartUpgradeInput, UpgradeViewData as FleetUpgradeView };

export class AdminClient {
  private readonly http: AdminHttp;

  constructor(options: AdminClientOptions) {
    this.http = new AdminHttp(options);
  }

  createTenant(input: CreateTenantInput, options: { idempotencyKey?: string } = {}): Promise<CreatedTenant> {
    const headers: Record<string, string> = options.idempotencyKey
      ? { 'idempotency-key': options.idempotencyKey }
      : {};
    return this.http.json('POST', '/v1/tenants', { body: input, headers });
  }

  listTenants(query: { status?: string; tier?: TenantTier; limit?: number; cursor?: string } = {}) {
    return this.http.json<{ items: TenantViewData[]; cursor: string | null }>('GET', '/v1/tenants', {
      query,
    });
  }

  /** Every tenant matching the filter, following cursors. */
  async *allTenants(query: { status?: string; tier?: TenantTier } = {}): AsyncGenerator<TenantViewData> {
    let cursor: string | undefined;
    do {
      const page = await this.listTenants({ ...query, limit: 1000, cursor });
      yield* page.items;
      cursor = page.cursor ?? undefined;
    } while (cursor);
  }

  getTenant(id: string): Promise<TenantDetail> {
    return this.http.json('GET', `/v1/tenants/${enc(id)}`);
  }

  /** `expectedVersion` makes it an optimistic-lock update (409 VERSION_CONFLICT when stale). */
  updateTenant(id: string, patch: PatchTenantInput, options: { expectedVersion?: number } = {}) {
    const headers: Record<string, string> = options.expectedVersion
      ? { 'if-match': `"${options.expectedVersion}"` }
      : {};
    return this.http.json<TenantViewData>('PATCH', `/v1/tenants/${enc(id)}`, { body: patch, headers });
  }

  wake(id: string) {
    return this.http.json<{ tenantId: string; podId: string }>('POST', `/v1/tenants/${enc(id)}/wake`);
  }
  sleep(id: string) {
    return this.http.json<{ tenantId: string; accepted: boolean }>('POST', `/v1/tenants/${enc(id)}/sleep`);
  }
  suspend(id: string, reason: string) {
    return this.http.json<{ tenantId: string; phase: TenantPhase }>(
      'POST',
      `/v1/tenants/${enc(id)}/suspend`,
      {
        body: { reason },
      },
    );
  }
  resume(id: string) {
    return this.http.json<{ tenantId: string; phase: TenantPhase }>('POST', `/v1/tenants/${enc(id)}/resume`);
  }

  /** Offboard; `dryRun` only lists what would be deleted. */
  deleteTenant(id: string, options: { dryRun?: boolean; graceDays?: number } = {}): Promise<OffboardResult> {
    return this.http.json('DELETE', `/v1/tenants/${enc(id)}`, { query: options });
  }

  listSecrets(id: string) {
    return this.http.json<{ names: string[] }>('GET', `/v1/tenants/${enc(id)}/secrets`);
  }
  /** For `telegram-bot-token`, the bot and its webhook registration; undefined for other secrets. */
  putSecret(id: string, name: string, value: string): Promise<TelegramChange | undefined> {
    return this.http.json('PUT', `/v1/tenants/${enc(id)}/secrets/${enc(name)}`, { body: { value } });
  }
  deleteSecret(id: string, name: string): Promise<void> {
    return this.http.json('DELETE', `/v1/tenants/${enc(id)}/secrets/${enc(name)}`);
  }
  rotateSecrets(id: string, options: { webhookSecret?: boolean } = {}) {
    return this.http.json<{ rotated: string[]; webhook?: WebhookStateData }>(
      'POST',
      `/v1/tenants/${enc(id)}/secrets/rotate`,
      {
        body: options,
      },
    );
  }
  issueApiKey(id: string) {
    return this.http.json<{ keyId: string; apiKey: string }>('POST', `/v1/tenants/${enc(id)}/api-keys`);
  }
  revokeApiKey(id: string, keyId: string): Promise<void> {
    return this.http.json('DELETE', `/v1/tenants/${enc(id)}/api-keys/${enc(keyId)}`);
  }

  usage(id: string, range: { from?: string; to?: string } = {}): Promise<UsageReport> {
    return this.http.json('GET', `/v1/tenants/${enc(id)}/usage`, { query: range });
  }

  listSnapshots(id: string) {
    return this.http.json<{ tenantId: string; latestSnapshotSeq: number | null; snapshots: SnapshotInfo[] }>(
      'GET',
      `/v1/tenants/${enc(id)}/snapshots`,
    );
  }
  restoreSnapshot(id: string, seq: number) {
    return this.http.json<{
      tenantId: string;
      restoredFrom: number;
      newSeq: number;
      phase: TenantPhase | null;
    }>('POST', `/v1/tenants/${enc(id)}/snapshots/${seq}/restore`);
  }

  /** The last `lines` log lines; with `follow`, keeps yielding new lines until `signal` aborts. */
  async *logs(id: string, options: { lines?: number; follow?: boolean; signal?: AbortSignal } = {}) {
    const query = { lines: options.lines, follow: options.follow };
    const response = await this.http.send('GET', `/v1/tenants/${enc(id)}/logs`, {
      query,
      signal: options.signal,
      stream: true,
    });
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        const end = buffered.lastIndexOf('\n');
        if (end < 0) continue;
        for (const line of buffered.slice(0, end).split('\n')) if (line) yield JSON.parse(line) as LogLine;
        buffered = buffered.slice(end + 1);
      }
    } catch (error) {
      if (!options.signal?.aborted) throw error;
    }
  }

  fleetUsage(range: { from?: string; to?: string } = {}): Promise<FleetUsageReport> {
    return this.http.json('GET', '/v1/fleet/usage', { query: range });
  }

  fleetStatus() {
    return this.http.json<{ total: number; phases: Record<TenantPhase, number> }>('GET', '/v1/fleet/status');
  }

  /** Starts a health-gated rollout of an OpenClaw version (one at a time); 409 UPGRADE_RUNNING otherwise. */
  startFleetUpgrade(input: StartUpgradeInput): Promise<UpgradeViewData> {
    return this.http.json('POST', '/v1/fleet/upgrades', { body: input });
  }

  fleetUpgrade(rolloutId: string): Promise<UpgradeViewData> {
    return this.http.json('GET', `/v1/fleet/upgrades/${enc(rolloutId)}`);
  }

  pauseFleetUpgrade(rolloutId: string, reason?: string): Promise<UpgradeViewData> {
    return this.http.json('POST', `/v1/fleet/upgrades/${enc(rolloutId)}/pause`, {
      body: reason ? { reason } : {},
    });
  }

  resumeFleetUpgrade(rolloutId: string): Promise<UpgradeViewData> {
    return this.http.json('POST', `/v1/fleet/upgrades/${enc(rolloutId)}/resume`);
  }

  abortFleetUpgrade(rolloutId: string, reason?: string): Promise<UpgradeViewData> {
    return this.http.json('POST', `/v1/fleet/upgrades/${enc(rolloutId)}/abort`, {
      body: reason ? { reason } : {},
    });
  }

  createToken(scope: string, name: string) {
    return this.http.json<{
      token: string;
      info: { tokenId: string; scope: string; name: string; createdAt: string };
    }>('POST', '/v1/admin-tokens', { body: { scope, name } });
  }

  listTokens() {
    return this.http.json<{ items: { tokenId: string; scope: string; name: string; createdAt: string }[] }>(
      'GET',
      '/v1/admin-tokens',
    );
  }

  revokeToken(tokenId: string): Promise<void> {
    return this.http.json('DELETE', `/v1/admin-tokens/${enc(tokenId)}`);
  }
}
