/**
 * Re-records the fleet upgrade replay fixtures (test/replay/fleet-upgrade-*.json):
 * runs `fleetUpgradeWorkflow` on the time-skipping server with the in-memory
 * fleet of the workflow tests and saves each history. Run it only after an
 * intentional change to the fleet workflow's commands:
 *
 *   npx tsx scripts/record-fleet-replay-histories.ts
 *
 * test/replay/replay.test.ts replays every fixture in that folder.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createFleetActivities } from '../activities/fleet.js';
import {
  fleetUpgradeWorkflowId,
  pauseUpgradeUpdate,
  resumeUpgradeUpdate,
  upgradeProgressQuery,
} from '../workflows/fleet-contract.js';
import { fleetUpgradeWorkflow } from '../workflows/fleet-upgrade-workflow.js';
import { FakeFleet } from '../test/workflows/fake-fleet.js';
import { bundle, createWorkflowTestEnv, quietRuntime } from '../test/workflows/harness.js';

const OUT_DIR = new URL('../test/replay/', import.meta.url);
const MINUTE = 60_000;

type Handle = WorkflowHandle<typeof fleetUpgradeWorkflow>;

async function waitFor(handle: Handle, state: string): Promise<void> {
  while ((await handle.query(upgradeProgressQuery)).state !== state)
    await new Promise((resolve) => setTimeout(resolve, 50));
}

const SCENARIOS: Record<
  string,
  { crashing: string[]; drive: (h: Handle, env: TestWorkflowEnvironment) => Promise<void> }
> = {
  /** Three healthy waves, with a pause before the second and a resume. */
  'fleet-upgrade-waves-pause-resume': {
    crashing: [],
    drive: async (handle, env) => {
      await waitFor(handle, 'observing');
      await handle.executeUpdate(pauseUpgradeUpdate, { args: ['replay fixture'] });
      await env.sleep(6 * MINUTE);
      await waitFor(handle, 'paused');
      await handle.executeUpdate(resumeUpgradeUpdate);
      await handle.result();
    },
  },
  /** The canary's second tenant fails to wake: the canary is rolled back. */
  'fleet-upgrade-canary-rollback': {
    crashing: ['t01'],
    drive: async (handle) => void (await handle.result()),
  },
};

async function main(): Promise<void> {
  quietRuntime();
  const [env, workflowBundle] = await Promise.all([createWorkflowTestEnv(), bundle()]);
  try {
    for (const [name, scenario] of Object.entries(SCENARIOS)) {
      const fleet = new FakeFleet();
      for (let i = 0; i < 10; i += 1) fleet.add(`t${String(i).padStart(2, '0')}`, '2026.9.6');
      for (const id of scenario.crashing) fleet.crashing.add(id);
      const taskQueue = `tq-${name}`;
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle,
        activities: createFleetActivities(fleet),
      });
      await worker.runUntil(async () => {
        const handle = await env.client.workflow.start(fleetUpgradeWorkflow, {
          taskQueue,
          workflowId: fleetUpgradeWorkflowId(name),
          args: [
            {
              rolloutId: name,
              targetVersion: '2026.10.2',
              selector: { all: true },
              waves: [10, 50, 100],
              gate: { observeMs: 5 * MINUTE },
            },
          ],
        });
        await scenario.drive(handle, env);
        const history = await handle.fetchHistory();
        const file = new URL(`${name}-0.json`, OUT_DIR);
        await writeFile(file, historyToJSON(history));
        console.log(`recorded ${fileURLToPath(file)} (${history.events?.length ?? 0} events)`);
      });
    }
  } finally {
    await env.teardown();
  }
}

await main();
