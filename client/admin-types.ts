/** Types and errors of the admin API client (client/admin-client.ts). */
import { ClawfleetError } from '../common/errors.js';
import type { Problem } from '../common/problem.js';
import type { TenantViewData } from '../admin/schemas.js';
import type { TelegramConnectionData, WebhookStateData } from '../admin/telegram-schemas.js';
import type { FleetUsageRow, ModelUsage } from '../registry/model-usage.js';
import type { QuotaHit } from '../registry/quota-hits.js';

export type { TelegramConnectionData, WebhookStateData } from '../admin/telegram-schemas.js';

/** Answer to storing or removing a bot token: the bot and what happened to its webhook. */
export interface TelegramChange {
  readonly botUsername: string | null;
  readonly webhook: WebhookStateData;
}
import type { DailyUsage } from '../registry/usage.js';
import type { OffboardPlan, TenantDescription, TenantPhase } from '../workflows/types.js';

/** The API answered with an error (problem+json). */
export class AdminApiError extends ClawfleetError {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.code, problem.detail);
  }
}

/** Nothing answered at the admin URL (refused, DNS, timeout). */
export class AdminUnavailableError extends ClawfleetError {
  constructor(url: string, options?: { cause?: unknown }) {
    super('ADMIN_UNAVAILABLE', `admin API at ${url} is unreachable`, options);
  }
}

export interface AdminClientOptions {
  /** e.g. `http://127.0.0.1:8081` */
  readonly baseUrl: string;
  readonly token: string;
  /** @default 120_000 (a wake waits for the agent) */
  readonly timeoutMs?: number;
}

export interface CreatedTenant {
  readonly tenant: TenantViewData;
  readonly workflowId: string;
  /** Present only in the first answer; a replayed Idempotency-Key omits it. */
  readonly apiKey?: { keyId: string; apiKey: string };
  readonly apiKeyId: string;
  readonly onboardingMs: number;
  /** Present when a bot token was supplied. */
  readonly telegram?: TelegramChange;
}

export interface TenantDetail {
  readonly tenant: TenantViewData;
  readonly phase: TenantPhase | null;
  readonly live: TenantDescription | null;
  /** Null when the tenant has no bot token. */
  readonly telegram: TelegramConnectionData | null;
  /** Quotas that refused the tenant today, most recent first. */
  readonly quotaHits: readonly QuotaHit[];
  /** The local runtime's sandbox; null on Kubernetes (absent from an older admin API). */
  readonly sandbox?: SandboxView | null;
}

export interface SandboxView {
  readonly mode: 'on' | 'off';
  readonly uid: number | null;
  readonly limits: {
    readonly memoryHighBytes: number;
    readonly memoryMaxBytes: number;
    readonly cpuShares: number;
    readonly cpuMilliCores: number;
    readonly pidsMax: number;
    readonly diskBytes: number;
  } | null;
  readonly memoryBytes: number | null;
}

export interface SnapshotInfo {
  readonly seq: number;
  readonly size: number;
  readonly files: number;
  readonly createdAt: string;
  readonly openclawVersion: string;
}

export interface UsageReport {
  readonly tenantId: string;
  readonly from: string;
  readonly to: string;
  readonly days: DailyUsage[];
  readonly total: {
    activeSeconds: number;
    wakes: number;
    messages: number;
    tokens: number;
    costMicros: number;
  };
  /** Model usage over the range, most expensive first. */
  readonly models: ModelUsage[];
}

export interface FleetUsageReport {
  readonly from: string;
  readonly to: string;
  /** Most expensive first. */
  readonly tenants: (FleetUsageRow & { costUsd: number })[];
}

export type OffboardResult = Pick<OffboardPlan, 'tenantId' | 'dryRun' | 'deleteAfter' | 'registryRecord'> & {
  snapshots: { seq: number; size: number; createdAt: string }[];
  secretNames: string[];
  kept: string[];
};
