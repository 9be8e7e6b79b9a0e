import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { InvalidTenantIdError } from '../../common/errors.js';
import { DynamoRegistry } from '../../registry/dynamo-registry.js';
import {
  RegistryInputError,
  RegistryRecordError,
  TenantExistsError,
  TenantNotFoundError,
  VersionConflictError,
} from '../../registry/errors.js';
import { ensureTables } from '../../registry/tables.js';
import type { NewTenant } from '../../registry/tenant-record.js';
import { startDynamo, type TestDynamo } from '../helpers/dynamo.js';

const uniqueId = (label: string) => `${label}-${randomBytes(4).toString('hex')}`;
const tenant = (tenantId: string, extra: Partial<NewTenant> = {}): NewTenant => ({
  tenantId,
  displayName: `Tenant ${tenantId}`,
  tier: 'standard',
  openclawVersion: '2026.9.6',
  ...extra,
});

describe('tenant registry on DynamoDB (dynalite)', () => {
  let dynamo: TestDynamo;
  let registry: DynamoRegistry;

  before(async () => {
    dynamo = await startDynamo();
    registry = new DynamoRegistry({ doc: dynamo.doc, tables: dynamo.tables });
  });
  after(() => dynamo?.close());

  it('creates the tables idempotently: a second ensureTables creates nothing', async () => {
    assert.deepEqual(await ensureTables(dynamo.client, dynamo.tables), []);
    const { Table } = await dynamo.client.send(
      new DescribeTableCommand({ TableName: dynamo.tables.secrets }),
    );
    assert.equal(Table?.TableStatus, 'ACTIVE');
  });

  it('creates a tenant with defaults and reads it back', async () => {
    const id = uniqueId('acme');
    const created = await registry.create(tenant(id));
    assert.equal(created.version, 1);
    assert.equal(created.status, 'active');
    assert.equal(created.latestSnapshotSeq, null);
    assert.equal(created.idleTimeoutMs, 900_000);
    assert.deepEqual(await registry.get(id), created);
    assert.deepEqual(await registry.getTenant(id), created);
    assert.equal(await registry.get(uniqueId('missing')), null);
  });

  it('when two creates of the same id race, exactly one wins and the other gets TenantExistsError', async () => {
    const id = uniqueId('race');
    const results = await Promise.allSettled([
      registry.create(tenant(id, { displayName: 'first' })),
      registry.create(tenant(id, { displayName: 'second' })),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    assert.equal(won.length, 1);
    assert.equal(lost.length, 1);
    const error = (lost[0] as PromiseRejectedResult).reason as TenantExistsError;
    assert.ok(error instanceof TenantExistsError);
    assert.equal(error.code, 'TENANT_EXISTS');
    assert.equal(error.tenantId, id);
    assert.equal((await registry.get(id))?.displayName, won[0]!.value.displayName);
  });

  it('rejects invalid tenant ids before anything becomes a key', async () => {
    await assert.rejects(registry.create(tenant('Bad_Id')), InvalidTenantIdError);
    await assert.rejects(registry.get('../etc'), InvalidTenantIdError);
    await assert.rejects(registry.deleteTenant('x'), InvalidTenantIdError);
  });

  it('updates under the optimistic lock: of two writers holding the same version, one gets VersionConflictError', async () => {
    const id = uniqueId('lock');
    const { version } = await registry.create(tenant(id));
    const results = await Promise.allSettled([
      registry.update(id, { tier: 'pro' }, version),
      registry.update(id, { displayName: 'renamed' }, version),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const error = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as unknown;
    assert.ok(error instanceof VersionConflictError);
    assert.equal(error.expectedVersion, 1);
    assert.equal(error.actualVersion, 2);
    const after = await registry.get(id);
    assert.equal(after?.version, 2);

    const next = await registry.update(id, { idleTimeoutMs: 60_000, quotas: { messagesPerDay: 500 } }, 2);
    assert.equal(next.version, 3);
    assert.equal(next.idleTimeoutMs, 60_000);
    assert.deepEqual(next.quotas, { messagesPerDay: 500 });
  });

  it('refuses an update of a missing tenant or with an invalid patch', async () => {
    await assert.rejects(registry.update(uniqueId('ghost'), { tier: 'pro' }, 1), TenantNotFoundError);
    const id = uniqueId('patch');
    await registry.create(tenant(id));
    await assert.rejects(registry.update(id, { tier: 'platinum' } as never, 1), RegistryInputError);
    await assert.rejects(registry.update(id, { version: 7 } as never, 1), RegistryInputError);
    await assert.rejects(registry.update(id, { tier: 'pro' }, 0), RegistryInputError);
  });

  it('setStatus applies on top of concurrent changes and is a no-op when already in that status', async () => {
    const id = uniqueId('status');
    await registry.create(tenant(id));
    const rename = async (): Promise<void> => {
      for (;;) {
        const { version } = (await registry.get(id))!;
        try {
          return void (await registry.update(id, { displayName: 'renamed' }, version));
        } catch (error) {
          if (!(error instanceof VersionConflictError)) throw error;
        }
      }
    };
    await Promise.all([rename(), registry.setStatus(id, 'suspended')]);
    const suspended = (await registry.get(id))!;
    assert.equal(suspended.status, 'suspended');
    assert.equal(suspended.displayName, 'renamed');
    assert.equal(suspended.version, 3);
    assert.equal((await registry.setStatus(id, 'suspended')).version, 3);
    await assert.rejects(registry.setStatus(id, 'active', 1), VersionConflictError);
    await assert.rejects(registry.setStatus(uniqueId('ghost'), 'active'), TenantNotFoundError);
  });

  it('lists tenants by status through the GSI, by last activity, page by page', async () => {
    const status = 'failed';
    const ids = [uniqueId('l0'), uniqueId('l1'), uniqueId('l2')];
    for (const id of ids) await registry.create(tenant(id, { status }));
    for (const [i, id] of ids.entries())
      await registry.touchLastActive(id, new Date(Date.UTC(2030, 0, 1 + i)));
    const first = await registry.listByStatus(status, { limit: 2 });
    assert.deepEqual(
      first.items.map((t) => t.tenantId),
      ids.slice(0, 2),
    );
    assert.ok(first.cursor);
    const rest = await registry.listByStatus(status, { limit: 2, cursor: first.cursor });
    assert.deepEqual(
      rest.items.map((t) => t.tenantId),
      ids.slice(2),
    );
    const newest = await registry.listByStatus(status, { order: 'newest-first', limit: 1 });
    assert.equal(newest.items[0]?.tenantId, ids[2]);
    await assert.rejects(registry.listByStatus('active', { cursor: first.cursor }), RegistryInputError);
    await assert.rejects(registry.listByStatus(status, { cursor: 'not-a-cursor' }), RegistryInputError);
  });

  it('touchLastActive only moves forward and does not bump the version', async () => {
    const id = uniqueId('touch');
    await registry.create(tenant(id));
    await registry.touchLastActive(id, new Date('2031-05-01T10:00:00Z'));
    await registry.touchLastActive(id, new Date('2031-05-01T09:00:00Z'));
    const record = await registry.get(id);
    assert.equal(record?.lastActiveAt, '2031-05-01T10:00:00.000Z');
    assert.equal(record?.version, 1);
    await registry.touchLastActive(uniqueId('ghost')); // a touch after deletion is harmless
  });

  it('advances the snapshot pointer only forward; a stale or repeated writer is a silent no-op', async () => {
    const id = uniqueId('snap');
    await registry.create(tenant(id));
    await registry.advanceSnapshotPointer(id, 3);
    await registry.advanceSnapshotPointer(id, 3);
    await registry.advanceSnapshotPointer(id, 2);
    assert.equal((await registry.get(id))?.latestSnapshotSeq, 3);
    await Promise.all([5, 9, 7, 4, 8, 6].map((seq) => registry.advanceSnapshotPointer(id, seq)));
    const record = await registry.get(id);
    assert.equal(record?.latestSnapshotSeq, 9);
    assert.equal(record?.version, 1);
    await assert.rejects(registry.advanceSnapshotPointer(uniqueId('ghost'), 1), TenantNotFoundError);
    await assert.rejects(registry.advanceSnapshotPointer(id, -1), RegistryInputError);
  });

  it('deletes a tenant; deleting a missing tenant is success', async () => {
    const id = uniqueId('del');
    await registry.create(tenant(id));
    await registry.deleteTenant(id);
    assert.equal(await registry.get(id), null);
    await registry.deleteTenant(id);
    await registry.create(tenant(id)); // the id is free again
  });

  it('fails loudly on a malformed stored record instead of passing it on', async () => {
    const id = uniqueId('junk');
    await dynamo.doc.send(
      new PutCommand({
        TableName: dynamo.tables.tenants,
        Item: { tenantId: id, status: 'active', lastActiveAt: 'x' },
      }),
    );
    await assert.rejects(registry.get(id), RegistryRecordError);
  });
});
