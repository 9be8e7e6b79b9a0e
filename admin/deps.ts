/**
 * What the admin API works with. admin/wiring.ts wires the real
 * adapters from configuration; tests pass the same classes pointed at
 * dynalite, s3rver, redis-server and a Temporal dev server.
 */
import type { SandboxView } from '../local/sandbox/sandbox-view.js';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { TenantClient } from '../client/tenant-client.js';
import type { TenantCredentials } from '../registry/credentials.js';
import type { DynamoRegistry } from '../registry/dynamo-registry.js';
import type { DynamoSecretStore } from '../registry/secret-store.js';
import type { S3SnapshotStore } from '../snapshots/s3-snapshot-store.js';
import type { TelegramBotApi } from '../telegram/bot-api.js';
import type { TenantLogSource } from './log-source.js';
import type { AdminTokenStore } from './token-store.js';

export interface AdminDeps {
  readonly registry: DynamoRegistry;
  readonly secrets: DynamoSecretStore;
  readonly credentials: TenantCredentials;
  readonly tokens: AdminTokenStore;
  /** Workflow operations (start, updates, signals). */
  readonly tenants: TenantClient;
  /** The raw client, for visibility counts and execution descriptions. */
  readonly temporal: Client;
  readonly snapshots: S3SnapshotStore;
  readonly logs: TenantLogSource;
  /** A local tenant's sandbox (local/sandbox/sandbox-view.ts); absent on Kubernetes, where the Kata VM is the sandbox. */
  readonly sandbox?: (tenantId: string) => Promise<SandboxView>;
  /** Idempotency keys and the router's tenant lookup cache. */
  readonly redis: Redis;
  /** How long GET /v1/tenants/:id waits for the workflow's live `describe()`. @default 2000 */
  readonly describeTimeoutMs?: number;
  readonly telegram: {
    /** Checks bot tokens (`getMe`) and reads webhook state (`getWebhookInfo`). */
    readonly api: TelegramBotApi;
    /** The router's public base URL: webhooks point at `<publicUrl>/tg/<tenantId>`. */
    readonly publicUrl: string;
    /** How long a request waits for the webhook registration before answering `pending`. @default 10_000 */
    readonly registerWaitMs?: number;
    /** After a new webhook secret is registered, how long the previous one stays accepted. @default 60_000 */
    readonly previousSecretGraceMs?: number;
  };
}
