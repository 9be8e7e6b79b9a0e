/**
 * The RuntimePort contract every runtime (local processes, Kubernetes) must
 * keep, as a reusable mocha suite: call `runtimeContract(name, factory)`
 * inside a test file. The factory returns the runtime under test plus a way
 * to make pod specs for fresh tenants; the suite never looks underneath the
 * port, so it holds for any adapter.
 */
import { strict as assert } from 'node:assert';
import type { PodSpec, RuntimePort } from '../../activities/ports.js';

export interface ContractSubject {
  readonly runtime: RuntimePort;
  /** A spec for generation `generation` of a tenant not used before by this suite. */
  spec(tenantId: string, generation: number): PodSpec;
  /** A tenant id valid for this runtime, unique per call. */
  newTenant(): string;
  /** Stop leftovers (called once after the suite). */
  cleanup?(): Promise<void>;
}

export function runtimeContract(name: string, factory: () => Promise<ContractSubject>): void {
  describe(`RuntimePort contract: ${name}`, function () {
    let subject: ContractSubject;
    const stopGrace = { graceMs: 5_000 };

    before(async function () {
      subject = await factory();
    });
    after(async function () {
      await subject?.cleanup?.();
    });

    it('launch resolves with the pod id and an http endpoint once the pod is ready', async function () {
      const spec = subject.spec(subject.newTenant(), 1);
      const handle = await subject.runtime.launch(spec);
      assert.equal(handle.podId, spec.podId);
      assert.match(handle.endpoint, /^http:\/\/[\d.]+:\d+$/);
      assert.equal((await subject.runtime.describe(handle)).state, 'ready');
      await subject.runtime.stop(handle, stopGrace);
    });

    it('launching the same pod id again adopts the running pod instead of starting a second one', async function () {
      const spec = subject.spec(subject.newTenant(), 1);
      const first = await subject.runtime.launch(spec);
      const again = await subject.runtime.launch(spec);
      assert.deepEqual(again, first);
      await subject.runtime.stop(first, stopGrace);
    });

    it('concurrent launches of one pod id (a retried activity racing the first) agree on one pod', async function () {
      const spec = subject.spec(subject.newTenant(), 1);
      const [a, b] = await Promise.all([subject.runtime.launch(spec), subject.runtime.launch(spec)]);
      assert.deepEqual(a, b);
      await subject.runtime.stop(a, stopGrace);
    });

    it('stop makes the pod gone, and stopping a missing or already stopped pod is success', async function () {
      const spec = subject.spec(subject.newTenant(), 1);
      const handle = await subject.runtime.launch(spec);
      await subject.runtime.stop(handle, stopGrace);
      assert.equal((await subject.runtime.describe(handle)).state, 'gone');
      await subject.runtime.stop(handle, stopGrace);
      const never = { podId: `${subject.newTenant()}-7`, endpoint: 'http://127.0.0.1:9' };
      await subject.runtime.stop(never, stopGrace);
      assert.equal((await subject.runtime.describe(never)).state, 'gone');
    });

    it('a new generation replaces the previous one: the old pod is gone before the new one serves', async function () {
      const tenantId = subject.newTenant();
      const old = await subject.runtime.launch(subject.spec(tenantId, 1));
      const next = await subject.runtime.launch(subject.spec(tenantId, 2));
      assert.equal((await subject.runtime.describe(old)).state, 'gone');
      assert.equal((await subject.runtime.describe(next)).state, 'ready');
      await subject.runtime.stop(next, stopGrace);
    });
  });
}
