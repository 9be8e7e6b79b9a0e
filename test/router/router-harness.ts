/**
 * One router under test with real parts: redis-server, dynalite with the
 * registry tables, a file master key, and a Temporal dev server. Tenants are
 * created through the real registry and credential code, as the admin API
 * does (with the master key); the router gets only the router key material
 * the admin API's bootstrap writes (its pepper and forwarding root). The
 * supervisor is a stand-in (stand-in-supervisor.ts) because these tests are
 * about the router.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../common/config.js';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FastifyInstance } from 'fastify';
import { type Redis } from 'ioredis';
import { FileMasterKey } from '../../common/crypto.js';
import { createRootLogger } from '../../common/logger.js';
import { encodeEndpointEntry } from '../../endpoints/redis-endpoint-cache.js';
import { TenantCredentials } from '../../registry/credentials.js';
import { DynamoRegistry } from '../../registry/dynamo-registry.js';
import { ensureRouterKeyFile, openCredentialHasher } from '../../registry/platform-keys.js';
import { DynamoSecretStore, SECRET_NAMES } from '../../registry/secret-store.js';
import type { TenantStatus } from '../../registry/tenant-record.js';
import { buildApp } from '../../router/app.js';
import { RouterMetrics } from '../../router/metrics.js';
import { openRouterKeys, type RouterKeys } from '../../router/router-keys.js';
import type { RouterServices } from '../../router/services.js';
import { hotPathRedis, wireRouterServices, type RouterSettings } from '../../router/wiring.js';
import { tenantWorkflowId, type Envelope } from '../../workflows/shared.js';
import { startDynamo, type TestDynamo } from '../helpers/dynamo.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { createLocalEnv } from '../helpers/temporal.js';
import { quietRuntime } from '../workflows/harness.js';

export const TEST_SETTINGS: RouterSettings = {
  temporal: { taskQueue: 'router-tests' },
  router: {
    ...loadConfig({}).router,
    rateLimit: 1000,
    rateLimitWindow: '1m',
    lookupCacheTtl: '30s',
    forwardTimeout: '2s',
    chatTimeout: '2s',
    wakeTimeout: '3s',
    touchInterval: '30s',
  },
};

export interface TestTenant {
  readonly tenantId: string;
  readonly webhookSecret: string;
  readonly apiKey: string;
  /** The tenant's forwarding key as the worker hands it to the supervisor (registry/secret-store.ts). */
  readonly forwardKey: Buffer;
}

/** The pod id the harness publishes for a tenant unless told otherwise (generation 1). */
export const firstPod = (tenantId: string) => `${tenantId}-1`;

export class RouterHarness {
  redis!: TestRedis;
  dynamo!: TestDynamo;
  env!: TestWorkflowEnvironment;
  registry!: DynamoRegistry;
  secrets!: DynamoSecretStore;
  credentials!: TenantCredentials;
  private masterKey!: FileMasterKey;
  private routerKeys!: RouterKeys;
  private keyDir!: string;
  private readonly hotClients: Redis[] = [];
  private readonly apps: FastifyInstance[] = [];

  get temporal(): Client {
    return this.env.client;
  }

  /** The master key file the harness's tenants are encrypted under (the router never opens it). */
  get masterKeyFile(): string {
    return join(this.keyDir, 'master.key');
  }

  /** The router key file, written from the harness's platform keys as the admin API's bootstrap does. */
  get routerKeyFile(): string {
    return join(this.keyDir, 'router.key');
  }

  async start(): Promise<void> {
    quietRuntime();
    this.keyDir = await mkdtemp(join(tmpdir(), 'clawfleet-router-'));
    [this.redis, this.dynamo, this.env, this.masterKey] = await Promise.all([
      startTestRedis(),
      startDynamo(),
      createLocalEnv(),
      FileMasterKey.open(join(this.keyDir, 'master.key'), { create: true }),
    ]);
    const { doc, tables } = this.dynamo;
    this.registry = new DynamoRegistry({ doc, tables });
    this.secrets = new DynamoSecretStore({ doc, tables, masterKey: this.masterKey });
    const hasher = await openCredentialHasher({ doc, tables, masterKey: this.masterKey });
    this.credentials = new TenantCredentials({ registry: this.registry, secrets: this.secrets, hasher });
    await ensureRouterKeyFile(this.routerKeyFile, { doc, tables, masterKey: this.masterKey });
    this.routerKeys = await openRouterKeys(this.routerKeyFile);
  }

  async stop(): Promise<void> {
    await Promise.all(this.apps.map((app) => app.close().catch(() => undefined)));
    for (const client of this.hotClients) client.disconnect();
    await Promise.all([this.redis?.stop(), this.dynamo?.close(), this.env?.teardown()]);
    if (this.keyDir) await rm(this.keyDir, { recursive: true, force: true });
  }

  /** A router app wired exactly as server.ts does it, against the test servers. */
  async app(
    /** Router settings over the test ones, e.g. `{ rateLimit: 2 }`. */
    router: Partial<RouterSettings['router']> = {},
    /** @default the dev server's client */
    temporal: Client = this.temporal,
    /** The registry's document client. @default the harness's dynalite */
    doc: DynamoDBDocumentClient = this.dynamo.doc,
  ): Promise<{ app: FastifyInstance; services: RouterServices }> {
    const redis = hotPathRedis(this.redis.url);
    await redis.connect();
    this.hotClients.push(redis);
    const logger = createRootLogger({ level: 'silent', name: 'router-test' });
    const { services, limits } = wireRouterServices({
      redis,
      temporal,
      doc,
      tables: this.dynamo.tables,
      keys: this.routerKeys,
      logger,
      settings: { ...TEST_SETTINGS, router: { ...TEST_SETTINGS.router, ...router } },
      metrics: new RouterMetrics(),
    });
    const app = await buildApp({ logger, readiness: {}, redis, services, limits });
    this.apps.push(app);
    return { app, services };
  }

  /** A registered tenant with a webhook secret, an API key and its forwarding key. */
  async tenant(status: TenantStatus = 'active', prefix = 'rt'): Promise<TestTenant> {
    const tenantId = `${prefix}-${randomUUID().slice(0, 8)}`;
    await this.registry.create({
      tenantId,
      displayName: tenantId,
      tier: 'free',
      openclawVersion: '2026.9.6',
    });
    await this.credentials.issueWebhookSecret(tenantId);
    const { apiKey } = await this.credentials.issueApiKey(tenantId);
    if (status !== 'active') {
      const record = (await this.registry.get(tenantId))!;
      await this.registry.update(tenantId, { status }, record.version);
    }
    const webhookSecret = await this.secrets.resolve(tenantId, SECRET_NAMES.telegramWebhookSecret);
    const forwardKey = Buffer.from(await this.secrets.forwardKey(tenantId), 'base64url');
    return { tenantId, webhookSecret, apiKey, forwardKey };
  }

  /** Publish a live pod as the workflow would. */
  async publishEndpoint(tenantId: string, endpoint: string, podId = firstPod(tenantId)): Promise<void> {
    await this.redis
      .client()
      .set(`clawfleet:endpoint:${tenantId}`, encodeEndpointEntry({ endpoint, podId }), 'PX', 60_000);
  }

  /** True when a tenant workflow exists (started by signal-with-start or update-with-start). */
  async workflowExists(tenantId: string): Promise<boolean> {
    try {
      await this.temporal.workflow.getHandle(tenantWorkflowId(tenantId)).describe();
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  }

  /** `deliver` signals recorded in the tenant workflow's history (accepted by Temporal; no worker needed). */
  async deliveredSignals(tenantId: string): Promise<Envelope[]> {
    if (!(await this.workflowExists(tenantId))) return [];
    const history = await this.temporal.workflow.getHandle(tenantWorkflowId(tenantId)).fetchHistory();
    return (history.events ?? [])
      .map((event) => event.workflowExecutionSignaledEventAttributes)
      .filter((signal) => signal?.signalName === 'deliver')
      .map((signal) => defaultPayloadConverter.fromPayload<Envelope>(signal!.input!.payloads![0]!));
  }
}

/** Polls `probe` every 100 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function eventually(
  probe: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`never happened within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A Telegram-format text-message update. */
export function telegramUpdate(updateId: number, text = 'hello'): Record<string, unknown> {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: 1_700_000_000,
      chat: { id: 42, type: 'private' },
      from: { id: 42, is_bot: false, first_name: 'Ada' },
      text,
    },
  };
}
