import { strict as assert } from 'node:assert';
import { CapacityGate, defaultCapacity } from '../../local/capacity-gate.js';
import { MAX_SLOTS, placementOf, SlotTable } from '../../local/placement.js';

describe('local runtime: capacity and placement', () => {
  it('defaults to one tenant per 1.5 GB available, at least one, unless configured', () => {
    assert.equal(defaultCapacity(0, 24 * 1024 ** 3), 16);
    assert.equal(defaultCapacity(0, 512 * 1024 ** 2), 1);
    assert.equal(defaultCapacity(5, 24 * 1024 ** 3), 5);
  });

  it('a full gate asks for room and hands places out in arrival order', async () => {
    let asked = 0;
    const gate = new CapacityGate(1, () => Promise.resolve(void asked++), 60_000);
    await gate.acquire();
    const order: string[] = [];
    const first = gate.acquire().then(() => order.push('first'));
    const second = gate.acquire().then(() => order.push('second'));
    await new Promise((r) => setImmediate(r));
    assert.equal(gate.waiting, 2);
    assert.ok(asked >= 2, 'each waiter asked for an idle tenant to be put to sleep');
    gate.release();
    await first;
    gate.release();
    await second;
    assert.deepEqual(order, ['first', 'second']);
    assert.equal(gate.inUse, 1);
  });

  it('an aborted wait leaves the queue without taking a place', async () => {
    const gate = new CapacityGate(1, () => Promise.resolve(), 60_000);
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
