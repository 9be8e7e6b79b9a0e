/**
 * The RuntimePort contract every runtime driver (local processes, Kubernetes)
 * must keep, as a reusable mocha suite: call `runtimeContract(name, factory)`
 * inside a test file. The suite never looks underneath the port; whatever it
 * needs that only the driver can do (kill a pod from outside, read the
 * snapshot store its pods save to, tell a claimed warm pod from a cold one)
 * goes through the subject the factory returns. The subject's pods run real
 * supervisors (supervisor/main.ts, with the stand-in OpenClaw child where OpenClaw
 * adds nothing), so a stop really drains and a kill really loses a pod.
 */
import { strict as assert } from 'node:assert';
import type {
  PodHandle,
  PodSpec,
  RuntimeEvents,
  RuntimePort,
  SnapshotManifest,
} from '../../activities/ports.js';
import type { S3SnapshotStore } from '../../snapshots/s3-snapshot-store.js';
import { OrphanSweep } from '../../worker/orphan-sweep.js';
import { pino } from 'pino';

/** A driver's pre-started capacity (local warm supervisors, the Kubernetes warm pool). */
export interface WarmCapacity {
  /** A spec the warm capacity serves (e.g. of a tier that has a pool). */
  spec(tenantId: string, generation: number): PodSpec;
  /** Resolves once a pre-started supervisor is idle and claimable. */
  ready(): Promise<void>;
  /** True when the pod serving `handle` was pre-started and claimed, not started for this launch. */
  claimed(handle: PodHandle): Promise<boolean>;
}

export interface ContractSubject {
  readonly runtime: RuntimePort;
  /** Receives every fact the driver reports on its own (podLost). */
  readonly events: PodLostRecorder;
  /** A spec for generation `generation` of `tenantId`. */
  spec(tenantId: string, generation: number): PodSpec;
  /** A tenant id valid for this runtime, unique per call. */
  newTenant(): string;
  /** Tells one started pod from another behind the same handle (a process id, a pod uid). */
  identity(handle: PodHandle): Promise<string>;
  /** Ends the pod from outside, as a crash or an eviction would: no stop, no drain. */
  kill(handle: PodHandle): Promise<void>;
  /** The tenant's newest complete snapshot in the store its pods save to. */
  latestSnapshot(tenantId: string): Promise<SnapshotManifest | null>;
  /** Pre-started capacity a launch claims, or null: the driver states it has none. */
  readonly warm: WarmCapacity | null;
  /** Stop leftovers (called once after the suite). */
  cleanup?(): Promise<void>;
}

export interface PodLost {
  readonly tenantId: string;
  readonly podId: string;
  readonly reason: string;
  readonly at: number;
}

/** The subject's RuntimeEvents: records every podLost and lets a test wait for one. */
export class PodLostRecorder implements RuntimeEvents {
  readonly lost: PodLost[] = [];
  private readonly waiters = new Set<() => void>();

  podLost(tenantId: string, podId: string, reason: string): Promise<void> {
    this.lost.push({ tenantId, podId, reason, at: Date.now() });
    for (const wake of this.waiters) wake();
    return Promise.resolve();
  }

  /** The first report for `podId`, or null when none arrived within `timeoutMs`. */
  async waitFor(podId: string, timeoutMs: number): Promise<PodLost | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lost.find((e) => e.podId === podId);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => (wake = resolve));
      this.waiters.add(wake);
      const timer = setTimeout(wake, left);
      await woken;
      clearTimeout(timer);
      this.waiters.delete(wake);
    }
  }
}

/** The newest complete snapshot of a tenant, as the stop activity would record it. */
export async function newestSnapshot(
  store: S3SnapshotStore,
  tenantId: string,
): Promise<SnapshotManifest | null> {
  const complete = (await store.list(tenantId)).filter((s) => s.complete);
  const newest = complete.at(-1);
  if (!newest) return null;
  const { seq, sha256, size, createdAt, openclawVersion } = await store.readManifest(tenantId, newest.seq);
  return { seq, sha256, size, createdAt, openclawVersion };
}

/** How long after a pod is killed its loss must be reported. */
const LOST_WITHIN_MS = 2_000;

export function runtimeContract(name: string, factory: () => Promise<ContractSubject>): void {
  describe(`RuntimePort contract: ${name}`, function () {
    let subject: ContractSubject;
    const stopGrace = { graceMs: 10_000 };

    before(async function () {
      this.timeout(40 * 60_000); // a fresh machine builds kube-apiserver and etcd first
      subject = await factory();
    });
    after(async function () {
      this.timeout(60_000);
      await subject?.cleanup?.();
    });

    const podOf = async (handle: PodHandle) =>
      (await subject.runtime.capacity()).pods.find((p) => p.podId === handle.podId);

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
      const started = await subject.identity(first);
      const again = await subject.runtime.launch(spec);
      assert.deepEqual(again, first);
      assert.equal(await subject.identity(again), started, 'the same pod, not a restarted one');
      await subject.runtime.stop(first, stopGrace);
    });

    it('concurrent launches of one pod id (a retried activity racing the first) agree on one pod', async function () {
      const spec = subject.spec(subject.newTenant(), 1);
      const [a, b] = await Promise.all([subject.runtime.launch(spec), subject.runtime.launch(spec)]);
      assert.deepEqual(a, b);
      await subject.runtime.stop(a, stopGrace);
    });

    it('a new generation replaces the previous one: the old pod is gone before the new one serves', async function () {
      const tenantId = subject.newTenant();
      const old = await subject.runtime.launch(subject.spec(tenantId, 1));
      const next = await subject.runtime.launch(subject.spec(tenantId, 2));
      assert.equal((await subject.runtime.describe(old)).state, 'gone');
      assert.equal((await subject.runtime.describe(next)).state, 'ready');
      await subject.runtime.stop(next, stopGrace);
    });

    it("stop returns the drain's manifest: the tenant's final snapshot, taken after the agent stopped", async function () {
      const spec = subject.spec(subject.newTenant(), 1);
      const handle = await subject.runtime.launch(spec);
      const stopAsked = Date.now();
      const manifest = await subject.runtime.stop(handle, stopGrace);
      assert.ok(manifest, 'stop resolved with a manifest, not null');
      assert.ok(manifest.seq > 0, `seq ${manifest.seq}`);
      assert.ok(Date.parse(manifest.createdAt) >= stopAsked - 1_000, 'taken during the stop');
      // Stopping the agent any other way (SIGTERM, deletion) makes the supervisor snapshot once more:
      // the returned one is the newest only if it was taken after the agent had stopped.
      assert.deepEqual(await subject.latestSnapshot(spec.tenantId), manifest, 'nothing newer was saved');
      assert.equal((await subject.runtime.describe(handle)).state, 'gone');
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(await subject.events.waitFor(handle.podId, 0), null, 'a stop is not a loss');
    });

    it(`a pod killed from outside is reported lost within ${LOST_WITHIN_MS / 1000} s, and its stop then succeeds`, async function () {
      const spec = subject.spec(subject.newTenant(), 1);
      const handle = await subject.runtime.launch(spec);
      const killed = Date.now();
      await subject.kill(handle);
      const lost = await subject.events.waitFor(handle.podId, LOST_WITHIN_MS + 8_000);
      assert.ok(lost, `podLost for ${handle.podId}`);
      assert.ok(lost.at - killed <= LOST_WITHIN_MS, `reported ${lost.at - killed} ms after the kill`);
      assert.equal(lost.tenantId, spec.tenantId);
      assert.ok(lost.reason, 'with a reason');
      await subject.runtime.stop(handle, stopGrace);
      assert.equal((await subject.runtime.describe(handle)).state, 'gone');
      assert.equal(await podOf(handle), undefined, 'capacity no longer lists it');
    });

    it('a launch claims pre-started warm capacity where the driver has it', async function () {
      const warm = subject.warm;
      if (!warm) return this.skip(); // the subject states the driver has no warm capacity
      await warm.ready();
      const spec = warm.spec(subject.newTenant(), 1);
      const handle = await subject.runtime.launch(spec);
      assert.equal(handle.podId, spec.podId);
      assert.equal(await warm.claimed(handle), true, 'a pre-started supervisor serves the tenant');
      assert.equal((await subject.runtime.describe(handle)).state, 'ready');
      assert.ok(await subject.runtime.stop(handle, stopGrace), 'a claimed pod drains like a cold one');
      assert.equal((await subject.runtime.describe(handle)).state, 'gone');
    });

    it('stop makes the pod gone, and stopping a missing or already stopped pod is success (null)', async function () {
      const spec = subject.spec(subject.newTenant(), 1);
      const handle = await subject.runtime.launch(spec);
      await subject.runtime.stop(handle, stopGrace);
      assert.equal((await subject.runtime.describe(handle)).state, 'gone');
      assert.equal(await subject.runtime.stop(handle, stopGrace), null);
      const never = { podId: `${subject.newTenant()}-7`, endpoint: 'http://127.0.0.1:9' };
      assert.equal(await subject.runtime.stop(never, stopGrace), null);
      assert.equal((await subject.runtime.describe(never)).state, 'gone');
    });

    it('a pod no workflow wants is stopped (drained) by the orphan sweep on its second sighting, not its first', async function () {
      const wanted = subject.spec(subject.newTenant(), 1);
      const orphan = subject.spec(subject.newTenant(), 1);
      const [keep, drop] = await Promise.all([
        subject.runtime.launch(wanted),
        subject.runtime.launch(orphan),
      ]);
      const sweep = new OrphanSweep({
        runtime: subject.runtime,
        isWanted: (pod) => Promise.resolve(pod.podId !== orphan.podId),
        logger: pino({ level: 'silent' }),
        graceMs: 0,
        stopGraceMs: stopGrace.graceMs,
      });
      assert.deepEqual(await sweep.pass(), [], 'first sighting: its launch may still be in flight');
      assert.deepEqual(await sweep.pass(), [orphan.podId]);
      assert.equal((await subject.runtime.describe(drop)).state, 'gone');
      assert.equal((await subject.runtime.describe(keep)).state, 'ready');
      assert.ok(await subject.latestSnapshot(orphan.tenantId), 'the orphan was drained, not just killed');
      await subject.runtime.stop(keep, stopGrace);
    });

    it('capacity lists the launched pod as ready with its endpoint, and drops it after stop', async function () {
      const spec = subject.spec(subject.newTenant(), 1);
      const handle = await subject.runtime.launch(spec);
      assert.deepEqual(await podOf(handle), {
        tenantId: spec.tenantId,
        podId: spec.podId,
        endpoint: handle.endpoint,
        state: 'ready',
      });
      const { max, waiting } = await subject.runtime.capacity();
      assert.ok(max === null || max >= 1, `max ${max}`);
      assert.ok(waiting >= 0, `waiting ${waiting}`);
      await subject.runtime.stop(handle, stopGrace);
      assert.equal(await podOf(handle), undefined);
    });
  });
}
