/**
 * A call to a pod's supervisor that fails once the runtime has seen the pod
 * die is not retried (activities/index.ts `onPod`): the workflow's crash path
 * relaunches at once instead of waiting out the activity's retries. A failure
 * while the pod still runs stays retryable.
 */
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../activities/index.js';
import { PERMANENT_ERROR_TYPE } from '../../workflows/shared.js';
import { FakeWorld } from '../workflows/fake-world.js';

const pod = { podId: 'acme-1', endpoint: 'http://127.0.0.2:27000' };

describe('activities: calls to a pod the runtime has seen die', () => {
  it('a failed snapshot of a gone pod is a non-retryable failure', async () => {
    const world = new FakeWorld('acme');
    world.snapshotFailure = 'connect ECONNREFUSED 127.0.0.2:27000';
    const failure = await createActivities(world.deps())
      .takeSnapshot({ tenantId: 'acme', pod })
      .then(
        () => assert.fail('the snapshot of a dead pod succeeded'),
        (error: unknown) => error,
      );
    assert.ok(failure instanceof ApplicationFailure, String(failure));
    assert.equal(failure.type, PERMANENT_ERROR_TYPE);
    assert.equal(failure.nonRetryable, true);
  });

  it('a failed snapshot of a pod still running stays retryable', async () => {
    const world = new FakeWorld('acme');
    world.pods.set(pod.podId, pod);
    world.snapshotFailure = 'gateway is starting';
    const failure = await createActivities(world.deps())
      .takeSnapshot({ tenantId: 'acme', pod })
      .then(
        () => assert.fail('the snapshot succeeded'),
        (error: unknown) => error,
      );
    assert.ok(!(failure instanceof ApplicationFailure), 'a plain, retryable error');
    assert.match(String(failure), /gateway is starting/);
  });
});
