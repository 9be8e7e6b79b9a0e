/**
 * telegramWebhookWorkflow on the time-skipping server: requests that arrive
 * during a registration round share the next round, and the secret Telegram
 * held before is confirmed away only after the grace, never while a newer
 * round is pending.
 */
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import {
  registerWebhookUpdate,
  TELEGRAM_WEBHOOK_WORKFLOW_TYPE,
  telegramWebhookWorkflowId,
} from '../../workflows/shared.js';
import type { WebhookSync } from '../../workflows/types.js';
import { FakeWorld } from './fake-world.js';
import { uniqueTenantId, useWorkflowSuite } from './harness.js';

const GRACE_MS = 60_000;

describe('telegram webhook workflow: rounds and the previous secret’s grace', function () {
  // Time-skipping tests take seconds; a loaded 2-core CI machine has stretched single ones past 30 s.
  this.timeout(60_000);
  const suite = useWorkflowSuite();

  it('requests during a round share one more round; the previous secret goes only after the grace', async () => {
    const tenantId = uniqueTenantId('tg');
    const taskQueue = `tq-${tenantId}`;
    const events: string[] = [];
    let rounds = 0;
    let release!: () => void;
    const firstRoundHeld = new Promise<void>((resolve) => (release = resolve));
    const worker = await Worker.create({
      connection: suite.env.nativeConnection,
      taskQueue,
      workflowBundle: suite.bundle,
      activities: {
        ...createActivities(new FakeWorld(tenantId).deps()),
        syncTelegramWebhook: async () => {
          const round = ++rounds;
          events.push(`round ${round}`);
          if (round === 1) await firstRoundHeld;
          return {
            registered: { url: `https://router.test/tg/${tenantId}`, botId: 1, secretHash: `h${round}` },
          };
        },
        confirmWebhookSecret: async ({ secretHash }: { secretHash: string }) => {
          events.push(`confirm ${secretHash}`);
          return Promise.resolve();
        },
      },
    });
    await worker.runUntil(async () => {
      const handle = await suite.env.client.workflow.start(TELEGRAM_WEBHOOK_WORKFLOW_TYPE, {
        taskQueue,
        workflowId: telegramWebhookWorkflowId(tenantId),
        args: [{ tenantId, previousSecretGraceMs: GRACE_MS }],
      });
      const register = (): Promise<WebhookSync> => handle.executeUpdate(registerWebhookUpdate);
      const first = register();
      while (rounds < 1) await new Promise((r) => setTimeout(r, 20));
      // Two more changes while the first round is still at Telegram.
      const [second, third] = [register(), register()];
      await new Promise((r) => setTimeout(r, 200));
      release();
      const hashOf = (sync: WebhookSync) =>
        'registered' in sync ? sync.registered?.secretHash : sync.failed;
      assert.equal(hashOf(await first), 'h1');
      assert.equal(hashOf(await second), 'h2', 'answered by a round that started after the request');
      assert.equal(hashOf(await third), 'h2', 'and the two shared it');
      assert.deepEqual(events, ['round 1', 'round 2'], 'no confirmation while a newer round was pending');

      await suite.env.sleep(GRACE_MS / 2);
      assert.deepEqual(events, ['round 1', 'round 2'], 'the previous secret is still accepted in the grace');
      const result = (await handle.result()) as WebhookSync;
      assert.equal(hashOf(result), 'h2');
      assert.deepEqual(events, ['round 1', 'round 2', 'confirm h2'], 'only what Telegram holds is kept');
    });
  });
});
