/**
 * One registered tenant for the router benchmark, created with the real
 * registry and credential code on an in-process dynalite.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileMasterKey } from '../common/crypto.js';
import { openCredentialHasher, routerKeyMaterial } from '../registry/platform-keys.js';
import { TenantCredentials } from '../registry/credentials.js';
import { DynamoRegistry } from '../registry/dynamo-registry.js';
import { DynamoSecretStore, SECRET_NAMES } from '../registry/secret-store.js';
import { routerKeysFrom } from '../router/router-keys.js';
import { startDynamo, type TestDynamo } from '../test/helpers/dynamo.js';

export class RouterHarnessTenants {
  private constructor(
    private readonly dynamo: TestDynamo,
    private readonly masterKey: FileMasterKey,
  ) {}

  static async start(): Promise<RouterHarnessTenants> {
    const dir = await mkdtemp(join(tmpdir(), 'clawfleet-bench-'));
    const [dynamo, masterKey] = await Promise.all([
      startDynamo(),
      FileMasterKey.open(join(dir, 'master.key'), { create: true }),
    ]);
    return new RouterHarnessTenants(dynamo, masterKey);
  }

  /** What the router is wired with: the tables and its key material (never the master key). */
  async parts() {
    const { doc, tables } = this.dynamo;
    const keys = routerKeysFrom(await routerKeyMaterial({ doc, tables, masterKey: this.masterKey }));
    return { doc, tables, keys };
  }

  async create(): Promise<{ tenantId: string; webhookSecret: string; supervisorToken: string }> {
    const { doc, tables } = this.dynamo;
    const registry = new DynamoRegistry({ doc, tables });
    const secrets = new DynamoSecretStore({ doc, tables, masterKey: this.masterKey });
    const hasher = await openCredentialHasher({ doc, tables, masterKey: this.masterKey });
    const credentials = new TenantCredentials({ registry, secrets, hasher });
    const tenantId = `bench-${randomUUID().slice(0, 8)}`;
    await registry.create({ tenantId, displayName: tenantId, tier: 'standard', openclawVersion: '2026.9.6' });
    await credentials.issueWebhookSecret(tenantId);
    const supervisorToken = randomUUID();
    await secrets.put(tenantId, SECRET_NAMES.supervisorToken, supervisorToken);
    const webhookSecret = await secrets.resolve(tenantId, SECRET_NAMES.telegramWebhookSecret);
    return { tenantId, webhookSecret, supervisorToken };
  }
}
