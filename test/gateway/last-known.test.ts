/**
 * The model gateway's last known registry reads (gateway/last-known.ts): a
 * failing read and a read that hangs (a registry that accepts connections and
 * does not answer; the AWS SDK sets no request timeout) are both answered by
 * the last good value while it is young; a slow read still refreshes it.
 */
import { strict as assert } from 'node:assert';
import { LastKnown } from '../../gateway/last-known.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('LastKnown: the last registry read stands in for a failing or hanging one', () => {
  it('a failing read gets the kept value while young, then the failure', async () => {
    const known = new LastKnown<string>(200);
    assert.equal(await known.read('t', () => Promise.resolve('v1')), 'v1');
    const down = () => Promise.reject(new Error('ECONNREFUSED'));
    assert.equal(await known.read('t', down), 'v1');
    await sleep(250);
    await assert.rejects(known.read('t', down), /ECONNREFUSED/);
  });

  it('a read slower than the patience gets the kept value at once; its late answer is kept', async () => {
    const known = new LastKnown<string>(30_000, 10, 50);
    await known.read('t', () => Promise.resolve('v1'));
    let finish!: (value: string) => void;
    const started = Date.now();
    const value = await known.read('t', () => new Promise<string>((resolve) => (finish = resolve)));
    assert.equal(value, 'v1');
    assert.ok(Date.now() - started < 1_000, `answered after ${Date.now() - started} ms`);
    finish('v2');
    await sleep(10);
    assert.equal(await known.read('t', () => Promise.reject(new Error('down'))), 'v2');
  });

  it('a read never made before waits for the registry, however slow', async () => {
    const known = new LastKnown<string>(30_000, 10, 20);
    const value = await known.read('new', async () => {
      await sleep(100);
      return 'first';
    });
    assert.equal(value, 'first');
  });

  it('a timely read answers with its own value', async () => {
    const known = new LastKnown<string>(30_000, 10, 200);
    await known.read('t', () => Promise.resolve('v1'));
    assert.equal(await known.read('t', () => Promise.resolve('v2')), 'v2');
  });
});
