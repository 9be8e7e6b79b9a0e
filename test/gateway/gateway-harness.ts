/**
 * The model gateway over real parts: redis-server, dynalite (registry,
 * secrets, usage), a master key in a temp dir, and the fake LLM as the one
 * upstream (`fake`). Tests get the real app listening on a free loopback
 * port, and tenants registered the way the admin API registers them.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import {
  loadConfig,
  masterKeyPath,
  modelApiKeyPath,
  withOverrides,
  type Config,
  type ConfigOverrides,
} from '../../common/config.js';
import { FileMasterKey } from '../../common/crypto.js';
import { createRootLogger } from '../../common/logger.js';
import { modelBearer } from '../../common/model-token.js';
import { startFakeLlm, type FakeLlm } from '../../fakes/fake-llm.js';
import { buildGatewayApp } from '../../gateway/app.js';
import { GatewayMetrics } from '../../gateway/metrics.js';
import type { GatewayServices } from '../../gateway/services.js';
import { wireGateway } from '../../gateway/wiring.js';
import { DynamoRegistry } from '../../registry/dynamo-registry.js';
import { DynamoSecretStore } from '../../registry/secret-store.js';
import { hotPathRedis } from '../../router/wiring.js';
import type { TenantTier } from '../../workflows/types.js';
import { startDynamo, type TestDynamo } from '../helpers/dynamo.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

export const PLATFORM_KEY = 'sk-platform-fake';

export interface GatewayHarness {
  readonly url: string;
  readonly config: Config;
  readonly llm: FakeLlm;
  readonly redis: TestRedis;
  readonly dynamo: TestDynamo;
  readonly registry: DynamoRegistry;
  readonly secrets: DynamoSecretStore;
  readonly services: GatewayServices;
  readonly dataDir: string;
  /** A registered tenant with its derived tokens; returns its model bearer. */
  tenant(tenantId: string, tier?: TenantTier): Promise<string>;
  close(): Promise<void>;
}

export async function startGatewayHarness(settings: ConfigOverrides = {}): Promise<GatewayHarness> {
  const [llm, redis, dynamo, dataDir] = await Promise.all([
    startFakeLlm(),
    startTestRedis(),
    startDynamo(undefined, { pausable: true }), // registry-outage.test.ts cuts it
    mkdtemp(join(tmpdir(), 'clawfleet-gateway-')),
  ]);
  const defaults = withOverrides(loadConfig({}), {
    common: { dataDir, logLevel: 'warn' },
    model: { provider: 'fake', baseUrl: llm.url, id: 'fake-model' },
    redis: { url: redis.url },
    aws: { dynamodbEndpoint: dynamo.endpoint, tablePrefix: dynamo.tables.tenants.replace(/tenants$/, '') },
  });
  const config = withOverrides(defaults, settings);
  await mkdir(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
  await writeFile(modelApiKeyPath(config), `${PLATFORM_KEY}\n`, { mode: 0o600 });
  const masterKey = await FileMasterKey.open(masterKeyPath(config), { create: true });
  const registry = new DynamoRegistry({ doc: dynamo.doc, tables: dynamo.tables });
  const secrets = new DynamoSecretStore({ doc: dynamo.doc, tables: dynamo.tables, masterKey });
  const hot = hotPathRedis(redis.url);
  await hot.connect();
  const logger = createRootLogger({ level: 'warn', name: 'gateway-test' });
  const wired = wireGateway({
    redis: hot,
    doc: dynamo.doc,
    tables: dynamo.tables,
    secrets,
    settings: config,
    logger,
    metrics: new GatewayMetrics(),
  });
  const app: FastifyInstance = buildGatewayApp(wired.services);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: address,
    config,
    llm,
    redis,
    dynamo,
    registry,
    secrets,
    services: wired.services,
    dataDir,
    async tenant(tenantId, tier = 'free') {
      await registry.create({ tenantId, displayName: tenantId, tier, openclawVersion: '2026.9.6' });
      await secrets.ensureDerived(tenantId);
      return modelBearer(tenantId, await secrets.resolve(tenantId, 'model-token'));
    },
    async close() {
      await app.close();
      await wired.close();
      hot.disconnect();
      await Promise.all([llm.close(), redis.stop(), dynamo.close()]);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A streamed or plain chat completion through `url` with `bearer`. */
export function chat(
  url: string,
  bearer: string,
  options: { stream?: boolean; model?: string; text?: string; requestId?: string } = {},
): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${bearer}`,
      'content-type': 'application/json',
      ...(options.requestId ? { 'x-request-id': options.requestId } : {}),
    },
    body: JSON.stringify({
      model: options.model ?? 'fake-model',
      stream: options.stream ?? false,
      messages: [{ role: 'user', content: options.text ?? 'hello there' }],
    }),
  });
}
