/**
 * The chat cold path when the woken pod does not take the request
 * (router/chat-route.ts `answerChat`): a pod the workflow hands back may not be
 * reachable yet (its supervisor was killed a moment ago and the workflow has
 * not noticed, or the relaunch is still starting). Nothing reached the agent,
 * so the router wakes again, 500 ms apart, until the wake bound is spent, and
 * only then answers 503 with Retry-After 5. These tests prove both halves: a
 * pod that becomes reachable within the bound answers the very request that
 * found it unreachable (once, no duplicate turn), and a pod that never does is
 * a 503 after about the bound, not at once. Without the retry both fail: the
 * first unreachable pod was a 503 straight away.
 *
 * Real Redis, dynalite and a Temporal dev server (RouterHarness); the tenant
 * workflow is a stand-in (stand-in-tenant-workflow.ts) that answers `wake` with
 * the pods each test names, because these tests are about the router.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { tenantWorkflowId, type PodHandle } from '../../workflows/shared.js';
import { RouterHarness, TEST_SETTINGS, type TestTenant } from './router-harness.js';
import { StandInSupervisor } from './stand-in-supervisor.js';
import { wakesQuery } from './stand-in-tenant-workflow.js';

const STAND_IN_WORKFLOW = fileURLToPath(new URL('./stand-in-tenant-workflow.ts', import.meta.url));
/** The discard port: privileged, nothing listens on it here, so a connection is refused (no request sent). */
const REFUSING_ENDPOINT = 'http://127.0.0.1:9';

describe('router chat cold path: a woken pod that is not reachable yet is woken again within the wake bound (real Redis, dynalite, Temporal dev server)', function () {
  this.timeout(60_000);
  const h = new RouterHarness();
  /** Per tenant: the pod its n-th wake returns (answered by the worker's stand-in workflow). */
  const podsByTenant = new Map<string, (wake: number) => PodHandle>();
  let app: FastifyInstance;
  let worker: Worker;
  let workerRun: Promise<void>;

  before(async () => {
    await h.start();
    worker = await Worker.create({
      connection: h.env.nativeConnection,
      taskQueue: TEST_SETTINGS.temporal.taskQueue,
      workflowsPath: STAND_IN_WORKFLOW,
      activities: {
        standInPod: (tenantId: string, wake: number) => Promise.resolve(podsByTenant.get(tenantId)!(wake)),
      },
    });
    workerRun = worker.run();
    ({ app } = await h.app());
  });
  after(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await workerRun;
    await h.stop();
  });

  const chat = (t: TestTenant) =>
    app.inject({
      method: 'POST',
      url: `/v1/tenants/${t.tenantId}/chat/completions`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.apiKey}` },
      payload: { model: 'openclaw/default', stream: true, messages: [{ role: 'user', content: 'hi' }] },
    });
  const wakes = (t: TestTenant) =>
    h.temporal.workflow.getHandle(tenantWorkflowId(t.tenantId)).query(wakesQuery);

  it('the pod becomes reachable on the third wake: the same request gets 200 with the agent’s answer, the agent saw it once', async () => {
    const t = await h.tenant();
    const relaunched = await new StandInSupervisor(t, `${t.tenantId}-2`).start();
    try {
      podsByTenant.set(t.tenantId, (wake) => {
        // 1: the killed pod's address refuses connections; 2: the relaunched supervisor already listens
        // there but the workflow still names the old pod (401 for a signature not its own); 3: the new pod.
        if (wake === 1) return { podId: `${t.tenantId}-1`, endpoint: REFUSING_ENDPOINT };
        if (wake === 2) return { podId: `${t.tenantId}-1`, endpoint: relaunched.endpoint };
        return { podId: `${t.tenantId}-2`, endpoint: relaunched.endpoint };
      });
      const res = await chat(t); // no endpoint published: the cold path
      assert.equal(res.statusCode, 200, res.body);
      assert.match(res.body, /"content":"Hel".*"content":"lo".*\[DONE\]/s, 'the stand-in’s answer streamed');
      assert.equal(relaunched.chats.length, 1, 'one turn reached the agent');
      assert.equal(relaunched.refused, 1, 'the stale pod’s signature was refused, not forwarded');
      assert.equal(await wakes(t), 3, 'woken again after each pod that did not take the request');
    } finally {
      await relaunched.stop();
    }
  });

  it('a pod that never becomes reachable: 503 with Retry-After 5 once the wake bound (3 s) is spent, not at once', async () => {
    const t = await h.tenant();
    podsByTenant.set(t.tenantId, () => ({ podId: `${t.tenantId}-1`, endpoint: REFUSING_ENDPOINT }));
    const started = Date.now();
    const res = await chat(t);
    const elapsedMs = Date.now() - started;
    assert.equal(res.statusCode, 503, res.body);
    assert.equal(res.headers['retry-after'], '5');
    assert.equal(res.json<{ code: string }>().code, 'UPSTREAM_UNAVAILABLE');
    assert.ok(elapsedMs >= 2_000, `answered after ${elapsedMs} ms: the bound was not used for retries`);
    assert.ok(elapsedMs < 3_000 + 2_000, `answered after ${elapsedMs} ms: well past the 3 s bound`);
    assert.ok((await wakes(t)) >= 3, 'woken again 500 ms apart while the bound lasted');
  });
});
