import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../common/entry-points.js';
import {
  BYTES_PER_TENANT,
  CapacityGate,
  defaultCapacity,
  MEASURED_AWAKE_TENANT_MB,
} from '../../runtime/capacity-gate.js';
import { RuntimeAtCapacityError } from '../../runtime/errors.js';
import { MAX_SLOTS, placementOf, SlotTable } from '../../local/placement.js';

describe('local runtime: capacity and placement', () => {
  it('defaults to one tenant per measured budget available, at least one, unless configured', () => {
    assert.equal(defaultCapacity(0, 24 * 1024 ** 3), Math.floor((24 * 1024 ** 3) / BYTES_PER_TENANT));
    assert.equal(defaultCapacity(0, BYTES_PER_TENANT * 3 - 1), 2);
    assert.equal(defaultCapacity(0, 512 * 1024 ** 2), 1);
    assert.equal(defaultCapacity(5, 24 * 1024 ** 3), 5);
  });

  it('the per-tenant budget covers the awake tenant bench:memory measured last, with room to grow', async () => {
    const path = join(PACKAGE_ROOT, 'bench', 'results', 'memory.json');
    const measured = JSON.parse(await readFile(path, 'utf8')) as { awakePssMb: number };
    assert.ok(
      MEASURED_AWAKE_TENANT_MB >= measured.awakePssMb,
      `bench:memory measured ${measured.awakePssMb} MB; MEASURED_AWAKE_TENANT_MB is ${MEASURED_AWAKE_TENANT_MB}`,
    );
    assert.ok(BYTES_PER_TENANT >= MEASURED_AWAKE_TENANT_MB * 1.25 * 1024 ** 2);
  });

  it('a full gate hands places out in arrival order', async () => {
    const gate = new CapacityGate(1, 60_000);
    await gate.acquire();
    const order: string[] = [];
    const first = gate.acquire().then(() => order.push('first'));
    const second = gate.acquire().then(() => order.push('second'));
    await new Promise((r) => setImmediate(r));
    assert.equal(gate.waiting, 2);
    gate.release();
    await first;
    gate.release();
    await second;
    assert.deepEqual(order, ['first', 'second']);
    assert.equal(gate.inUse, 1);
  });

  it('a wait longer than its bound reports the host full and leaves the queue (the runtime evicts no one)', async () => {
    const gate = new CapacityGate(1, 50);
    await gate.acquire();
    const started = Date.now();
    await assert.rejects(gate.acquire(), (err: unknown) => {
      assert.ok(err instanceof RuntimeAtCapacityError);
      assert.equal(err.code, 'RUNTIME_AT_CAPACITY');
      return true;
    });
    assert.ok(Date.now() - started >= 45);
    assert.equal(gate.waiting, 0);
    gate.release();
    assert.equal(gate.inUse, 0, 'a waiter that gave up does not inherit the released place');
  });

  it('an aborted wait leaves the queue without taking a place', async () => {
    const gate = new CapacityGate(1, 60_000);
    await gate.acquire();
    const controller = new AbortController();
    const waiting = gate.acquire(controller.signal);
    controller.abort(new Error('activity cancelled'));
    await assert.rejects(waiting, /activity cancelled/);
    assert.equal(gate.waiting, 0);
    gate.release();
    assert.equal(gate.inUse, 0);
  });

  it('slots get distinct loopback addresses and non-overlapping ports', () => {
    const table = new SlotTable(MAX_SLOTS);
    const a = placementOf(table.take()!, 20000);
    const b = placementOf(table.take()!, 20000);
    assert.deepEqual(a, { host: '127.0.0.2', supervisorPort: 20000, gatewayPort: 20001, webhookPort: 20002 });
    assert.equal(b.host, '127.0.0.3');
    assert.equal(b.supervisorPort, 20004);
    table.release(0);
    assert.equal(table.take(), 0, 'the lowest free slot is reused');
    assert.throws(() => placementOf(MAX_SLOTS, 20000), RangeError);
  });
});
