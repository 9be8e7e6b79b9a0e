/**
 * The fleet upgrade on the real adapter (worker/fleet-adapter.ts): tenant
 * records in a real DynamoDB API (dynalite), real tenant workflows on the
 * time-skipping server (their pods from the in-memory test world), and the
 * gate reading what the tenant workflows recorded per version.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { PermanentPortError } from '../../activities/errors.js';
import { createFleetActivities } from '../../activities/fleet.js';
import { createActivities } from '../../activities/index.js';
import { TenantClient } from '../../client/tenant-client.js';
import { DynamoRegistry } from '../../registry/dynamo-registry.js';
import { FleetAdapter } from '../../worker/fleet-adapter.js';
import {
  fleetUpgradeWorkflowId,
  upgradeProgressQuery,
  type FleetUpgradeInput,
} from '../../workflows/fleet-contract.js';
import { fleetUpgradeWorkflow } from '../../workflows/fleet-upgrade-workflow.js';
import { deliverSignal, wakeUpdate, tenantWorkflowId } from '../../workflows/shared.js';
import { startDynamo, type TestDynamo } from '../helpers/dynamo.js';
import { bundle, createWorkflowTestEnv, quietRuntime } from '../workflows/harness.js';
import { envelope, FakeWorld } from '../workflows/fake-world.js';

const OLD = '2026.9.6';
const NEW = '2026.10.2';
/** A version whose agents never start. */
const BROKEN = '2026.10.3';
const DAY = 86_400_000;

describe('fleet upgrade on the real adapter: registry, tenant workflows, per-version health', function () {
  this.timeout(90_000);
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundle;
  let dynamo: TestDynamo;
  let registry: DynamoRegistry;

  before(async () => {
    quietRuntime();
    [env, workflowBundle, dynamo] = await Promise.all([createWorkflowTestEnv(), bundle(), startDynamo()]);
    registry = new DynamoRegistry({ doc: dynamo.doc, tables: dynamo.tables });
  });
  after(async () => {
    await env?.teardown();
    await dynamo?.close();
  });

  /** Registers `ids` on OLD (record and workflow), then runs a rollout over exactly them. */
  async function fleetWith(
    ids: string[],
    input: Partial<FleetUpgradeInput>,
    body: (ctx: {
      tenants: TenantClient;
      rollout: () => Promise<string>;
      installed: string[];
    }) => Promise<void>,
  ): Promise<void> {
    const taskQueue = `tq-${randomUUID().slice(0, 8)}`;
    const world = new FakeWorld('fleet');
    const deps = world.deps();
    const launch = deps.runtime.launch.bind(deps.runtime);
    deps.runtime.launch = async (spec, options) => {
      if (spec.openclawVersion === BROKEN)
        throw new PermanentPortError('OPENCLAW_DID_NOT_START', `OpenClaw ${BROKEN} exited at start`);
      return launch(spec, options);
    };
    const installed: string[] = [];
    const adapter = new FleetAdapter({
      registry,
      client: env.client,
      taskQueue,
      install: (version) => Promise.resolve(void installed.push(version)),
    });
    const tenants = new TenantClient({ client: env.client, taskQueue });
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle,
      activities: { ...createActivities(deps), ...createFleetActivities(adapter) },
    });
    await worker.runUntil(async () => {
      for (const tenantId of ids) {
        await registry.create({ tenantId, displayName: tenantId, tier: 'standard', openclawVersion: OLD });
        await tenants.ensureStarted(tenantId, { openclawVersion: OLD });
      }
      const rolloutId = randomUUID().slice(0, 8);
      const rollout = async () => {
        await env.client.workflow.start(fleetUpgradeWorkflow, {
          taskQueue,
          workflowId: fleetUpgradeWorkflowId(rolloutId),
          args: [
            {
              rolloutId,
              targetVersion: NEW,
              selector: { tenantIds: ids },
              waves: [100],
              gate: { observeMs: DAY },
              ...input,
            },
          ],
        });
        return fleetUpgradeWorkflowId(rolloutId);
      };
      try {
        await body({ tenants, rollout, installed });
      } finally {
        for (const id of [...ids.map(tenantWorkflowId), fleetUpgradeWorkflowId(rolloutId)])
          await env.client.workflow
            .getHandle(id)
            .terminate('test finished')
            .catch(() => undefined);
      }
    });
  }

  async function observing(workflowId: string): Promise<void> {
    const handle = env.client.workflow.getHandle<typeof fleetUpgradeWorkflow>(workflowId);
    const deadline = Date.now() + 15_000;
    while ((await handle.query(upgradeProgressQuery)).state !== 'observing') {
      if (Date.now() > deadline) throw new Error('rollout never reached observing');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('moves unpinned tenants for their next wake, records their health on the new version, and skips pins', async () => {
    const [a, b, c] = [
      'fa-' + randomUUID().slice(0, 6),
      'fb-' + randomUUID().slice(0, 6),
      'fc-' + randomUUID().slice(0, 6),
    ];
    await fleetWith([a, b, c], {}, async ({ tenants, rollout, installed }) => {
      const pinnedRecord = await registry.get(c);
      await registry.update(c, { openclawPinned: true }, pinnedRecord!.version);
      const workflowId = await rollout();
      await observing(workflowId);
      assert.deepEqual(installed, [NEW]);
      // The next wake runs the new version; the first delivery after it is acknowledged.
      await env.client.workflow.getHandle(tenantWorkflowId(a)).executeUpdate(wakeUpdate);
      await env.client.workflow
        .getHandle(tenantWorkflowId(a))
        .signal(deliverSignal, envelope('after-upgrade'));
      const deadline = Date.now() + 15_000;
      while ((await tenants.describe(a)).deliveredCount < 1) {
        if (Date.now() > deadline) throw new Error('no delivery');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const result = await env.client.workflow.getHandle<typeof fleetUpgradeWorkflow>(workflowId).result();
      assert.equal(result.state, 'done', JSON.stringify(result));
      assert.deepEqual(result.pinned, [c]);
      assert.equal(result.upgraded, 2);
      assert.equal(result.lastHealth?.woke, 1);

      const health = (await tenants.describe(a)).versionHealth;
      assert.deepEqual(
        { ...health?.current },
        {
          version: NEW,
          wakes: 1,
          failedWakes: 0,
          crashes: 0,
          crashLoops: 0,
          firstDelivery: 'acked',
          delivered: 1,
          deliveryErrors: 0,
        },
      );
      // A sleeping tenant is not woken for the upgrade: it has the version for its next wake.
      const sleeping = await tenants.describe(b);
      assert.equal(sleeping.phase, 'asleep');
      assert.equal(sleeping.generation, 0);
      assert.equal(sleeping.settings.openclawVersion, NEW);
      assert.equal((await registry.get(a))?.openclawVersion, NEW);
      assert.equal((await registry.get(a))?.openclawPinned, undefined, 'a fleet upgrade is no pin');
      assert.equal((await registry.get(c))?.openclawVersion, OLD);
      assert.equal((await tenants.describe(c)).settings.openclawVersion, OLD);
    });
  });

  it('a version whose agents do not start fails the gate and the wave goes back to its previous version', async () => {
    const [d, e] = ['fd-' + randomUUID().slice(0, 6), 'fe-' + randomUUID().slice(0, 6)];
    await fleetWith([d, e], { targetVersion: BROKEN }, async ({ tenants, rollout }) => {
      const workflowId = await rollout();
      await observing(workflowId);
      await assert.rejects(
        env.client.workflow.getHandle(tenantWorkflowId(d)).executeUpdate(wakeUpdate),
        /failed/,
      );
      const result = await env.client.workflow.getHandle<typeof fleetUpgradeWorkflow>(workflowId).result();
      assert.equal(result.state, 'rolled-back', JSON.stringify(result));
      assert.equal(result.rolledBack, 2);
      assert.deepEqual(result.lastHealth?.failures, [`${d}: 1 failed wakes`]);
      for (const id of [d, e]) {
        assert.equal((await registry.get(id))?.openclawVersion, OLD);
        assert.equal((await tenants.describe(id)).settings.openclawVersion, OLD);
      }
      // The tenant the bad version left `failed` is resumed on its old version and wakes on it.
      assert.notEqual((await tenants.describe(d)).phase, 'failed');
      const pod = await env.client.workflow.getHandle(tenantWorkflowId(d)).executeUpdate(wakeUpdate);
      assert.equal(pod.podId, `${d}-2`);
      const restored = (await tenants.describe(d)).versionHealth;
      assert.deepEqual([restored?.current.version, restored?.current.wakes], [OLD, 1]);
      assert.deepEqual([restored?.previous?.version, restored?.previous?.failedWakes], [BROKEN, 1]);
    });
  });

  it('with restartAwake an awake tenant sleeps at once and its next message wakes it on the new version', async () => {
    const g = 'fg-' + randomUUID().slice(0, 6);
    await fleetWith([g], { restartAwake: true }, async ({ tenants, rollout }) => {
      const handle = env.client.workflow.getHandle(tenantWorkflowId(g));
      await handle.executeUpdate(wakeUpdate);
      const workflowId = await rollout();
      await observing(workflowId);
      const deadline = Date.now() + 15_000;
      while ((await tenants.describe(g)).phase !== 'asleep') {
        if (Date.now() > deadline) throw new Error('the awake tenant was not put to sleep');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.match((await tenants.describe(g)).reason ?? '', /fleet upgrade: OpenClaw 2026\.10\.2/);
      await handle.signal(deliverSignal, envelope('after-restart'));
      while ((await tenants.describe(g)).versionHealth?.current.delivered !== 1) {
        if (Date.now() > deadline + 15_000) throw new Error('no delivery on the new version');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const health = (await tenants.describe(g)).versionHealth;
      assert.deepEqual([health?.current.version, health?.current.wakes], [NEW, 1]);
      assert.deepEqual([health?.previous?.version, health?.previous?.wakes], [OLD, 1]);
      const result = await env.client.workflow.getHandle<typeof fleetUpgradeWorkflow>(workflowId).result();
      assert.equal(result.state, 'done', JSON.stringify(result));
    });
  });
});
