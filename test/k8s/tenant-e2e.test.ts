/**
 * End to end through Kubernetes: a Telegram update wakes the tenant as a pod
 * (real supervisor, real OpenClaw, run by the test kubelet) and is answered;
 * deleting the pod out from under it reaches the workflow as `podLost` within
 * 2 s and the tenant is relaunched as the next pod generation; once idle, the
 * final snapshot is taken and the pod is deleted.
 */
import { strict as assert } from 'node:assert';
import { telegramUpdate } from '../../fakes/fake-telegram.js';
import { echoReply, messageText, userTexts } from '../../fakes/fake-llm.js';
import { sleepNowSignal, tenantWorkflowId } from '../../workflows/shared.js';
import type { TenantPhase } from '../../workflows/types.js';
import { startKubeFleet, type KubeFleet } from './kube-fleet.js';

const TENANT = 'kube-acme';

describe('a tenant end to end on Kubernetes: pod wake, podLost relaunch, idle sleep', function () {
  this.timeout(600_000);
  let fleet: KubeFleet;
  let botToken: string;
  let nextUpdateId = 7000;

  async function send(text: string): Promise<void> {
    const updateId = nextUpdateId++;
    const body = JSON.stringify(telegramUpdate({ updateId, text }));
    const envelope = {
      channel: 'telegram' as const,
      dedupeId: String(updateId),
      receivedAt: new Date().toISOString(),
      body,
    };
    await fleet.tenants.deliver(TENANT, envelope, { idleTimeout: '1m' });
  }
  const answered = (text: string) =>
    fleet.telegram.waitFor(
      (c) => c.method === 'sendMessage' && String(c.params['text']).includes(`echo: ${text}`),
      240_000,
    );
  const tenantPods = async () =>
    (
      await fleet.core.listNamespacedPod({
        namespace: fleet.namespace,
        labelSelector: `clawfleet.io/tenant=${TENANT}`,
      })
    ).items;
  async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>, intervalMs = 250) {
    const deadline = Date.now() + timeoutMs;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
  const phaseIs = (phase: TenantPhase) => async () => (await fleet.tenants.describe(TENANT)).phase === phase;

  before(async function () {
    this.timeout(40 * 60_000);
    fleet = await startKubeFleet();
    ({ botToken } = await fleet.registerTenant(TENANT));
  });
  after(async function () {
    this.timeout(120_000);
    await fleet?.stop();
  });

  it('a Telegram update wakes the tenant as a pod and the bot replies', async function () {
    const started = Date.now();
    await send('hello from kubernetes');
    await answered('hello from kubernetes');
    console.log(
      `      first reply ${((Date.now() - started) / 1000).toFixed(1)} s after the update (cold pod)`,
    );
    const pods = await tenantPods();
    assert.equal(pods.length, 1);
    assert.equal(pods[0]!.metadata?.name, `${TENANT}-1`);
    assert.ok(fleet.telegram.callsFor(botToken, 'sendMessage').length >= 1);
  });

  it('deleting the pod out from under the tenant: podLost reaches the workflow within 2 s, then a relaunch', async function () {
    const before = await fleet.tenants.describe(TENANT);
    const pod = `${TENANT}-${before.generation}`;
    const deleted = Date.now();
    await fleet.core.deleteNamespacedPod({ name: pod, namespace: fleet.namespace });
    // Reaching the workflow = the podLost signal recorded in its history (handling then waits for the old pod).
    const handle = fleet.client.workflow.getHandle(tenantWorkflowId(TENANT));
    let signalledAt = 0;
    await waitFor(
      'the podLost signal in the workflow history',
      2_000,
      async () => {
        const { events } = await handle.fetchHistory();
        const signal = events?.find(
          (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'podLost' && e.eventTime,
        );
        if (signal) signalledAt = Date.now();
        return !!signal;
      },
      50,
    );
    console.log(`      podLost in the workflow history ${signalledAt - deleted} ms after the delete`);
    await waitFor('the relaunched pod to serve', 240_000, async () => {
      const now = await fleet.tenants.describe(TENANT);
      return now.phase === 'running' && now.generation > before.generation;
    });
    await send('still there after the relaunch?');
    await answered('still there after the relaunch?');
    const names = (await tenantPods()).map((p) => p.metadata?.name);
    assert.ok(!names.includes(pod), 'the old pod is gone');
  });

  it('goes idle: final snapshot recorded, its pod deleted', async function () {
    await waitFor('the tenant to fall asleep', 240_000, phaseIs('asleep'), 1_000);
    const described = await fleet.tenants.describe(TENANT);
    assert.ok(described.lastSnapshot, 'a final snapshot was recorded');
    await waitFor('the pod to be deleted', 60_000, async () => (await tenantPods()).length === 0);
  });

  it('a sleep keeps everything: a turn that ends after the live final snapshot is in the conversation after the next wake', async function () {
    const before = await fleet.tenants.describe(TENANT);
    // The model holds its answer, so the turn is still running when the drain's live snapshot is taken.
    let turnStarted = false;
    fleet.llm.setReply(async (messages, request) => {
      if (userTexts(messages).at(-1)?.includes('slow question')) {
        turnStarted = true;
        await new Promise((r) => setTimeout(r, 15_000)); // longer than the drain's probe and live snapshot, within OpenClaw's own drain
      }
      return echoReply(messages, request);
    });
    await send('slow question');
    await waitFor('the slow turn to reach the model', 240_000, () => Promise.resolve(turnStarted), 100);
    await fleet.client.workflow
      .getHandle(tenantWorkflowId(TENANT))
      .signal(sleepNowSignal, 'test: sleep mid-turn', 'now');
    await waitFor('the tenant to fall asleep', 120_000, phaseIs('asleep'), 500);
    const asleep = await fleet.tenants.describe(TENANT);
    const record = await fleet.registry.get(TENANT);
    assert.ok(asleep.lastSnapshot && asleep.lastSnapshot.seq > (before.lastSnapshot?.seq ?? 0));
    assert.equal(
      record?.latestSnapshotSeq,
      asleep.lastSnapshot.seq,
      'the drain snapshot is the recorded one',
    );
    await send('what did you answer last?');
    await answered('what did you answer last?');
    const last = fleet.llm.completions().at(-1)!;
    const said = (last.body?.messages ?? []).filter((m) => m.role === 'assistant').map(messageText);
    assert.ok(
      said.some((text) => text.includes('echo: slow question')),
      `the answer to the slow turn is in the restored conversation: ${JSON.stringify(said)}`,
    );
  });
});
