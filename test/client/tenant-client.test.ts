import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { TenantClient } from '../../client/tenant-client.js';
import { TenantNotFoundError, TenantOperationRejectedError } from '../../client/errors.js';
import { createLocalEnv } from '../helpers/temporal.js';
import { envelope, FakeWorld } from '../workflows/fake-world.js';
import { bundle, quietRuntime, uniqueTenantId } from '../workflows/harness.js';

async function eventually<T>(
  probe: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && ok(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('TenantClient against a real Temporal dev server', function () {
  this.timeout(60_000);
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundle;
  let worker: Worker;
  let running: Promise<void>;
  let tenants: TenantClient;
  const taskQueue = `client-${uniqueTenantId('q')}`;
  const world = new FakeWorld('shared'); // one fake world for all tenants of this suite

  before(async function () {
    quietRuntime();
    [env, workflowBundle] = await Promise.all([createLocalEnv(), bundle()]);
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle,
      activities: createActivities(world.deps()),
    });
    running = worker.run();
    tenants = new TenantClient({ client: env.client, taskQueue });
  });

  after(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  it('deliver uses signal-with-start: a message to a never-started tenant starts it, wakes it and is delivered', async () => {
    const tenantId = uniqueTenantId('sws');
    await tenants.deliver(tenantId, envelope(`${tenantId}-u1`));
    const d = await eventually(
      () => tenants.describe(tenantId),
      (x) => x.deliveredCount === 1,
      'delivery',
    );
    assert.equal(d.phase, 'running');
    assert.ok(world.delivered.some((e) => e.dedupeId === `${tenantId}-u1`));
  });

  it('wake uses update-with-start: a never-started tenant returns its endpoint in one call', async () => {
    const tenantId = uniqueTenantId('uws');
    const pod = await tenants.wake(tenantId, { tier: 'pro', idleTimeout: '1m' });
    assert.equal(pod.podId, `${tenantId}-1`);
    const d = await tenants.describe(tenantId);
    assert.equal(d.phase, 'running');
    assert.equal(d.settings.tier, 'pro');
    assert.equal(d.settings.idleTimeoutMs, 60_000);
    assert.deepEqual(await tenants.wake(tenantId), pod, 'a second wake reuses the running workflow');
  });

  it('list({ phase: "running" }) finds a running tenant through visibility', async () => {
    const tenantId = uniqueTenantId('lst');
    await tenants.ensureStarted(tenantId);
    await tenants.wake(tenantId);
    const found = await eventually(
      () => tenants.list({ phase: 'running' }),
      (rows) => rows.some((r) => r.tenantId === tenantId),
      'visibility',
    );
    const row = found.find((r) => r.tenantId === tenantId)!;
    assert.equal(row.phase, 'running');
    assert.equal(row.tier, 'standard');
    assert.ok(row.lastActiveAt instanceof Date);
  });

  it('configure takes duration strings, and a rejected update surfaces as TenantOperationRejectedError', async () => {
    const tenantId = uniqueTenantId('cfg');
    await tenants.ensureStarted(tenantId);
    const settings = await tenants.configure(tenantId, { idleTimeout: '2m', snapshotInterval: '10m' });
    assert.equal(settings.idleTimeoutMs, 120_000);
    assert.equal(settings.snapshotIntervalMs, 600_000);
    await assert.rejects(tenants.configure(tenantId, { idleTimeout: '10s' }), TenantOperationRejectedError);
    await assert.rejects(tenants.resume(tenantId), /cannot resume a tenant that is asleep/);
  });

  it('suspend and resume round-trip, and describe of an unknown tenant is TenantNotFoundError', async () => {
    const tenantId = uniqueTenantId('sus');
    await tenants.wake(tenantId);
    assert.equal(await tenants.suspend(tenantId, 'chargeback'), 'suspended');
    assert.equal(await tenants.resume(tenantId), 'asleep');
    await assert.rejects(tenants.describe(uniqueTenantId('nobody')), TenantNotFoundError);
  });
});
