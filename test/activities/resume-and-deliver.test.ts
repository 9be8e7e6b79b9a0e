/**
 * The one-hop resume activity (activities/resume-and-deliver.ts): only a
 * failed thaw throws (the workflow then wakes cold); once thawed, a failed
 * delivery or publish comes back as a result, so the thawed pod, which may
 * hold an acked turn, is not stopped undrained.
 */
import assert from 'node:assert/strict';
import { createActivities } from '../../activities/index.js';
import { envelope, FakeWorld } from '../workflows/fake-world.js';

const pod = { podId: 'acme-1', endpoint: 'http://127.0.0.2:27000' };

function pausedWorld(): FakeWorld {
  const world = new FakeWorld('acme');
  world.pods.set(pod.podId, pod);
  world.paused.set(pod.podId, 0);
  return world;
}

const input = (message: ReturnType<typeof envelope> | null) => ({
  tenantId: 'acme',
  pod,
  envelope: message,
  ttlMs: 60_000,
});

describe('activities: resumeAndDeliver', () => {
  it('thaws, then delivers the head and publishes the endpoint', async () => {
    const world = pausedWorld();
    const result = await createActivities(world.deps()).resumeAndDeliver(input(envelope('m1')));
    assert.deepEqual(result, { pod, deliveryFailure: null, endpointPublished: true });
    assert.equal(world.paused.has(pod.podId), false, 'thawed');
    assert.deepEqual(
      world.events.filter((e) => e.startsWith('resume') || e.startsWith('deliver')),
      [`resume ${pod.podId}`, 'deliver m1'],
    );
    assert.equal(world.endpoint, pod.endpoint);
  });

  it('a failed thaw throws and delivers nothing', async () => {
    const world = pausedWorld();
    world.resumeFailure = 'no answer after the thaw';
    await assert.rejects(
      createActivities(world.deps()).resumeAndDeliver(input(envelope('m1'))),
      /no answer after the thaw/,
    );
    assert.equal(world.count('deliver'), 0);
    assert.equal(world.endpoint, null, 'the endpoint of a pod that did not thaw is not published');
  });

  it('the delivery starts once the pod is thawed, before the runtime has confirmed it answers', async () => {
    const world = pausedWorld();
    let confirmed = false;
    const deps = world.deps();
    const resume = deps.runtime.resume.bind(deps.runtime);
    const runtime = {
      ...deps.runtime,
      resume: (handle: typeof pod, options?: Parameters<typeof resume>[1]) =>
        resume(handle, options).then((resumed) => ((confirmed = true), resumed)),
    };
    let deliveredBeforeConfirmed: boolean | null = null;
    const agent = {
      ...deps.agent,
      deliver: (...args: Parameters<typeof deps.agent.deliver>) => {
        deliveredBeforeConfirmed = !confirmed;
        return deps.agent.deliver(...args);
      },
    };
    const result = await createActivities({ ...deps, runtime, agent }).resumeAndDeliver(
      input(envelope('m1')),
    );
    assert.equal(result.deliveryFailure, null);
    assert.equal(deliveredBeforeConfirmed, true, 'sent beside the check, not after it');
    assert.deepEqual(
      world.delivered.map((e) => e.dedupeId),
      ['m1'],
    );
  });

  it('a pod thawed but not answering its check fails the resume, though its delivery was sent: the workflow keeps the message', async () => {
    const world = pausedWorld();
    world.readyFailure = 'no answer after the thaw';
    await assert.rejects(
      createActivities(world.deps()).resumeAndDeliver(input(envelope('m1'))),
      /no answer after the thaw/,
    );
    assert.equal(world.count('deliver m1'), 1, 'sent at the thaw');
    assert.equal(world.endpoint, null, 'the endpoint of a pod that did not answer is not published');
  });

  it('a failed delivery or publish on the thawed pod is reported, not thrown', async () => {
    const world = pausedWorld();
    world.deliveryFailures = 1;
    world.publishFailures = 1;
    const result = await createActivities(world.deps()).resumeAndDeliver(input(envelope('m1')));
    assert.equal(result.pod.podId, pod.podId);
    assert.match(result.deliveryFailure ?? '', /no ack for m1/);
    assert.equal(result.endpointPublished, false);
    assert.deepEqual(world.delivered, []);
  });

  it('with nothing buffered (a wake or a scheduled job) it thaws and publishes only', async () => {
    const world = pausedWorld();
    const result = await createActivities(world.deps()).resumeAndDeliver(input(null));
    assert.deepEqual(result, { pod, deliveryFailure: null, endpointPublished: true });
    assert.equal(world.count('deliver'), 0);
  });
});
