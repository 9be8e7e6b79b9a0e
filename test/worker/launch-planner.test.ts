import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PodSpec } from '../../activities/ports.js';
import { createS3Presigner } from '../../common/aws-clients.js';
import { gatewayBaseUrl, loadConfig, masterKeyPath, type Config } from '../../common/config.js';
import { FileMasterKey } from '../../common/crypto.js';
import { deriveTenantForwardKey } from '../../common/forward-signature.js';
import { DynamoRegistry } from '../../registry/dynamo-registry.js';
import { routerKeyMaterial } from '../../registry/platform-keys.js';
import { DynamoSecretStore } from '../../registry/secret-store.js';
import { parseSnapshotGrant } from '../../snapshots/grant.js';
import { SnapshotGrantIssuer } from '../../snapshots/grant-issuer.js';
import { S3SnapshotStore } from '../../snapshots/s3-snapshot-store.js';
import { createLaunchPlanner } from '../../worker/launch-planner.js';
import { podSupervisorSpec } from '../../k8s/pod-manifest.js';
import { DEFAULT_KUBE_OPTIONS } from '../../k8s/options.js';
import { CONTROL_PLANE_TOOLS } from '../../common/tool-tiers.js';
import { TENANT_TIERS } from '../../workflows/shared.js';
import { startDynamo, type TestDynamo } from '../helpers/dynamo.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

/**
 * What a tenant's supervisor receives (spec + secrets, built by the worker's
 * planner over a real registry, secret store and S3): its own tokens and a
 * snapshot grant, never the platform master key or S3 credentials.
 */
describe('launch planner: what a supervisor is given', () => {
  let dynamo: TestDynamo;
  let s3: TestS3;
  let dir: string;
  let config: Config;
  let planner: ReturnType<typeof createLaunchPlanner>;
  let close: () => void;
  let masterKey: FileMasterKey;
  let secretStore: DynamoSecretStore;
  let registry: DynamoRegistry;

  before(async () => {
    [dynamo, s3, dir] = await Promise.all([
      startDynamo(),
      startS3(),
      mkdtemp(join(tmpdir(), 'clawfleet-plan-')),
    ]);
    config = loadConfig({
      CLAWFLEET_DATA_DIR: dir,
      CLAWFLEET_S3_ENDPOINT: s3.endpoint,
      CLAWFLEET_S3_BUCKET: s3.bucket,
      CLAWFLEET_AWS_CREDENTIALS: 'embedded',
      CLAWFLEET_STOP_GRACE: '45s',
    });
    masterKey = await FileMasterKey.open(masterKeyPath(config), { create: true });
    registry = new DynamoRegistry({ doc: dynamo.doc, tables: dynamo.tables });
    const secrets = new DynamoSecretStore({ doc: dynamo.doc, tables: dynamo.tables, masterKey });
    secretStore = secrets;
    const presigner = createS3Presigner(config);
    const store = new S3SnapshotStore({ s3: s3.client, bucket: s3.bucket, masterKey });
    const grants = new SnapshotGrantIssuer({ presigner, bucket: s3.bucket, store });
    planner = createLaunchPlanner({
      config,
      registry,
      secrets,
      grants,
      openclaw: () => Promise.resolve({ node: '/opt/node', entry: '/opt/openclaw.mjs' }),
    });
    close = () => presigner.destroy();
    for (const tenantId of ['plan-a', 'plan-b']) {
      await registry.create({ tenantId, displayName: tenantId, tier: 'free', openclawVersion: '2026.9.6' });
      await secrets.put(tenantId, `model-${config.model.provider}`, `sk-${tenantId}`);
    }
  });
  after(async () => {
    close();
    await Promise.all([dynamo.close(), s3.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  const pod = (tenantId: string): PodSpec =>
    ({
      tenantId,
      podId: `${tenantId}-1`,
      tier: 'free',
      openclawVersion: '2026.9.6',
      snapshotSeq: null,
    }) as PodSpec;
  const placement = { host: '127.0.0.5', supervisorPort: 19000, gatewayPort: 19001, webhookPort: 19002 };

  it('gives the tenant its tokens and a grant of its own prefix, and nothing that opens other tenants', async () => {
    const plan = await planner(pod('plan-a'), placement, join(dir, 'plan-a'));
    assert.deepEqual(Object.keys(plan.secrets).sort(), [
      'forwardKey',
      'gatewayToken',
      'modelToken',
      'snapshotGrant',
      'supervisorToken',
    ]);
    assert.equal(plan.spec.podId, 'plan-a-1', 'the pod the router signs its forwards for');
    // The model gateway's token, never the provider key (the tenant's `model-<provider>` secret stays put).
    const modelSecret = await secretStore.resolve('plan-a', 'model-token');
    assert.equal(plan.secrets.modelToken, `cfm.plan-a.${modelSecret}`);
    assert.ok(!JSON.stringify(plan).includes('sk-plan-a'), 'the provider key never reaches the plan');
    assert.equal(plan.spec.provider.baseUrl, gatewayBaseUrl(config), 'the agent calls the gateway');
    const grant = parseSnapshotGrant(plan.secrets.snapshotGrant!, 'plan-a');
    for (const key of [...Object.keys(grant.get), ...Object.keys(grant.put)])
      assert.ok(key.startsWith('tenants/plan-a/'), key);
    assert.throws(() => parseSnapshotGrant(plan.secrets.snapshotGrant!, 'plan-b'));

    const everything = JSON.stringify(plan);
    const masterKey = await readFile(masterKeyPath(config));
    for (const encoding of ['hex', 'base64', 'base64url'] as const)
      assert.ok(!everything.includes(masterKey.toString(encoding)), `master key (${encoding}) leaked`);
    assert.ok(!everything.includes(masterKeyPath(config)), 'master key path leaked');
    assert.doesNotMatch(JSON.stringify(plan.spec), /endpoint|bucket|masterKey|secretAccessKey/i);
  });

  it('hands the supervisor its own tenant’s forwarding key: the one the router derives from its key file, no other tenant’s', async () => {
    const [a, b] = await Promise.all([
      planner(pod('plan-a'), placement, join(dir, 'fa')),
      planner(pod('plan-b'), placement, join(dir, 'fb')),
    ]);
    const { forwardKey } = await routerKeyMaterial({ doc: dynamo.doc, tables: dynamo.tables, masterKey });
    const routerDerives = (tenantId: string) =>
      deriveTenantForwardKey(forwardKey.key, tenantId).toString('base64url');
    assert.equal(a.secrets.forwardKey, routerDerives('plan-a'));
    assert.equal(b.secrets.forwardKey, routerDerives('plan-b'));
    assert.notEqual(a.secrets.forwardKey, b.secrets.forwardKey);
    assert.ok(!JSON.stringify([a, b]).includes(forwardKey.key.toString('base64url')), 'never the root');
  });

  it('gives the supervisor the stop grace of CLAWFLEET_STOP_GRACE, with the final snapshot reserve inside it', async () => {
    const plan = await planner(pod('plan-a'), placement, join(dir, 'plan-a'));
    assert.equal(plan.spec.shutdownGraceMs, 45_000);
    assert.equal(plan.spec.snapshotReserveMs, 10_000);
  });

  it('gives every tier OpenClaw’s cron tool (reminders)', async () => {
    for (const tier of TENANT_TIERS) {
      const plan = await planner({ ...pod('plan-a'), tier }, placement, join(dir, `tier-${tier}`));
      assert.ok(plan.spec.tools?.alsoAllow?.includes('cron'), `${tier}: ${JSON.stringify(plan.spec.tools)}`);
    }
  });

  it('hands each tenant a different data key', async () => {
    const [a, b] = await Promise.all([
      planner(pod('plan-a'), placement, join(dir, 'a')),
      planner(pod('plan-b'), placement, join(dir, 'b')),
    ]);
    const keyOf = (raw: string, tenantId: string) => {
      const { dataKeys } = parseSnapshotGrant(raw, tenantId);
      return dataKeys.keys[dataKeys.current];
    };
    assert.notEqual(keyOf(a.secrets.snapshotGrant!, 'plan-a'), keyOf(b.secrets.snapshotGrant!, 'plan-b'));
  });

  it('gives each tier its tools, applies the registry override at the next launch, and Kubernetes pods get the same tools', async () => {
    const tierPod = (tenantId: string, tier: PodSpec['tier']) => ({ ...pod(tenantId), tier }) as PodSpec;
    const tools = async (tier: PodSpec['tier']) =>
      (await planner(tierPod('plan-a', tier), placement, join(dir, 'tools'))).spec.tools!;
    assert.deepEqual((await tools('free')).alsoAllow, ['cron']);
    assert.deepEqual((await tools('standard')).alsoAllow, [
      'cron',
      'web_search',
      'web_fetch',
      'memory_search',
      'memory_get',
    ]);
    const pro = await tools('pro');
    for (const tool of ['cron', 'exec', 'process', 'read', 'write', 'edit', 'apply_patch'])
      assert.ok(pro.alsoAllow!.includes(tool), tool);
    for (const tool of CONTROL_PLANE_TOOLS) assert.ok(pro.deny!.includes(tool), tool);
    assert.ok((await tools('free')).deny!.includes('exec'), 'a free tenant is denied exec outright');

    // The override from the registry (what PATCH /v1/tenants/:id writes): read at every launch.
    const record = (await registry.get('plan-b'))!;
    await registry.update('plan-b', { tools: { allow: ['exec'], deny: ['cron'] } }, record.version);
    const overridden = await planner(pod('plan-b'), placement, join(dir, 'tools-b'));
    assert.deepEqual(overridden.spec.tools!.alsoAllow, ['exec']);
    assert.ok(overridden.spec.tools!.deny!.includes('cron'));
    // A control-plane tool is not in the closed list: the registry refuses it.
    await assert.rejects(
      registry.update('plan-b', { tools: { allow: ['gateway' as 'exec'] } }, record.version + 1),
      /allow/,
    );

    // The Kubernetes runtime builds its pods' spec from the same plan (k8s/kube-driver.ts): same tools.
    const proPlan = await planner(tierPod('plan-a', 'pro'), placement, join(dir, 'tools'));
    assert.deepEqual(podSupervisorSpec(proPlan.spec, DEFAULT_KUBE_OPTIONS).tools, proPlan.spec.tools);
  });
});
