/**
 * A whole clawfleet on this machine for end-to-end tests and the wake
 * benchmark: a real Temporal dev server, redis-server, s3rver, dynalite, the
 * real worker adapters with the local runtime (real OpenClaw per tenant), and
 * the fake LLM and fake Telegram Bot API in place of the outside world.
 */
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { TenantClient } from '../../client/tenant-client.js';
import type { Config, ConfigOverrides } from '../../common/config.js';
import type { FileMasterKey } from '../../common/crypto.js';
import { createRootLogger } from '../../common/logger.js';
import type { FakeLlm } from '../../fakes/fake-llm.js';
import type { FakeTelegram } from '../../fakes/fake-telegram.js';
import { processesMentioning } from '../../local/process-sweep.js';
import type { DynamoRegistry } from '../../registry/dynamo-registry.js';
import type { DynamoSecretStore } from '../../registry/secret-store.js';
import { wireAdapters, type WiredAdapters } from '../../worker/adapters.js';
import type { TestDynamo } from '../helpers/dynamo.js';
import { startFleetBase, type FleetBase } from '../helpers/fleet-base.js';
import type { TestRedis } from '../helpers/redis.js';
import type { TestS3 } from '../helpers/s3.js';

export interface Fleet {
  readonly config: Config;
  readonly client: Client;
  readonly tenants: TenantClient;
  readonly registry: DynamoRegistry;
  readonly secrets: DynamoSecretStore;
  readonly llm: FakeLlm;
  readonly telegram: FakeTelegram;
  readonly s3: TestS3;
  readonly redis: TestRedis;
  readonly adapters: WiredAdapters;
  readonly dynamo: TestDynamo;
  readonly masterKey: FileMasterKey;
  /** The model gateway every tenant agent calls, and the platform key it presents upstream. */
  readonly gateway: FleetBase['gateway'];
  readonly platformModelKey: string;
  /** A tenant in the registry with Telegram on and every secret it needs; returns its bot token. */
  registerTenant(tenantId: string): Promise<{ botToken: string; webhookSecret: string }>;
  /** The tenant's directory under the fleet's data dir. */
  tenantDir(tenantId: string): string;
  /** Pids of every process of the tenant (supervisor, OpenClaw and helpers). */
  tenantProcesses(tenantId: string): Promise<number[]>;
  /** Pids of every process the local runtime started, idle warm supervisors included. */
  runtimeProcesses(): Promise<number[]>;
  stop(): Promise<void>;
}

export async function startFleet(
  options: { capacity?: number; logLevel?: 'info' | 'warn'; settings?: ConfigOverrides } = {},
): Promise<Fleet> {
  const base = await startFleetBase('fleet', {
    ...options.settings,
    local: {
      maxTenants: options.capacity ?? 2,
      portBase: 21000 + 40 * Math.floor(Math.random() * 900),
      ...options.settings?.local,
    },
    common: { logLevel: options.logLevel ?? 'warn', ...options.settings?.common },
  });
  try {
    const { config, env, dataDir } = base;
    const logger = createRootLogger({ level: 'warn', name: 'fleet' });
    const adapters = await wireAdapters(config, logger, env.client);
    await base.runWorker(adapters);
    const tenantDir = (tenantId: string) => join(dataDir, 'tenants', tenantId);
    return {
      config,
      client: env.client,
      tenants: new TenantClient({ client: env.client, taskQueue: config.temporal.taskQueue }),
      registry: base.registry,
      secrets: base.secrets,
      llm: base.llm,
      telegram: base.telegram,
      s3: base.s3,
      redis: base.redis,
      adapters,
      dynamo: base.dynamo,
      masterKey: base.masterKey,
      gateway: base.gateway,
      platformModelKey: base.platformModelKey,
      tenantDir,
      async tenantProcesses(tenantId) {
        // A claimed warm supervisor's environment predates its tenant: the runtime knows its pid.
        const pids = await processesMentioning(tenantDir(tenantId));
        const supervisor = adapters.localRuntime?.supervisorPid(tenantId);
        return supervisor !== undefined && !pids.includes(supervisor) && isAlive(supervisor)
          ? [supervisor, ...pids]
          : pids;
      },
      runtimeProcesses: () => processesMentioning(dataDir),
      registerTenant: (tenantId) => base.registerTenant(tenantId),
      stop: () => base.cleanup(),
    };
  } catch (error) {
    await base.cleanup();
    throw error;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
