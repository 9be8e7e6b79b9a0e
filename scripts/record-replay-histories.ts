/**
 * Re-records the replay fixtures in test/replay/*.json: runs the main
 * lifecycle paths of `tenantWorkflow` on the time-skipping server with the
 * in-memory test world, and saves each run's history. Run it after an
 * intentional, versioned change to workflow code:
 *
 *   npx tsx scripts/record-replay-histories.ts [scenario...]
 *
 * Naming scenarios records only those (a new path gets its fixture while
 * the older fixtures stay as recorded, proving old histories still replay).
 *
 * test/replay/replay.test.ts replays every fixture, so a change that alters
 * the commands of recorded histories fails `npm test`.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import {
  configureUpdate,
  deliverSignal,
  offboardUpdate,
  podLostSignal,
  resumeUpdate,
  sleepNowSignal,
  suspendUpdate,
  wakeUpdate,
} from '../workflows/shared.js';
import { envelope, FakeWorld } from '../test/workflows/fake-world.js';
import {
  bundle,
  createWorkflowTestEnv,
  quietRuntime,
  runTenant,
  uniqueTenantId,
  type TenantTest,
} from '../test/workflows/harness.js';

const OUT_DIR = new URL('../test/replay/', import.meta.url);
const MINUTE = 60_000;

type Scenario = (env: TestWorkflowEnvironment, t: TenantTest) => Promise<void>;

/** Deliver to a sleeping tenant, then idle out after one minute: wake, delivery, drain, continue-as-new. */
const wakeDeliverSleep: Scenario = async (env, t) => {
  await t.phase('asleep');
  await t.handle.signal(deliverSignal, envelope('m1'));
  await t.until((d) => d.deliveredCount === 1, 'delivery');
  await t.handle.signal(deliverSignal, envelope('m2'));
  await t.until((d) => d.deliveredCount === 2, 'second delivery');
  await env.sleep(MINUTE + 5_000);
  await t.phase('asleep');
};

/** Wake, configure, busy check, suspend (drain), resume, then offboard with a one-day grace to deletion. */
const operatorPath: Scenario = async (env, t) => {
  await t.handle.executeUpdate(wakeUpdate);
  await t.handle.executeUpdate(configureUpdate, { args: [{ tier: 'pro', snapshotIntervalMs: MINUTE }] });
  await env.sleep(MINUTE + 1_000);
  await t.until((d) => d.lastSnapshot !== null, 'periodic snapshot');
  await t.handle.executeUpdate(suspendUpdate, { args: ['replay fixture'] });
  await t.handle.executeUpdate(resumeUpdate);
  await t.handle.executeUpdate(offboardUpdate, { args: [{ dryRun: true }] });
  await t.handle.executeUpdate(offboardUpdate, { args: [{ graceDays: 1 }] });
  await t.handle.result();
};

/** Crash twice (relaunches with backoff), crash again (failed), resume and wake, then sleep with a scheduled job. */
const crashLoop: Scenario = async (env, t) => {
  await t.handle.executeUpdate(wakeUpdate);
  for (let generation = 1; generation <= 3; generation += 1) {
    await t.handle.signal(podLostSignal, `${t.tenantId}-${generation}`, 'replay crash');
    if (generation < 3) {
      await env.sleep(30_000);
      await t.until((d) => d.generation === generation + 1 && d.phase === 'running', 'relaunch');
    }
  }
  await t.phase('failed');
  await t.handle.executeUpdate(resumeUpdate);
  await t.handle.executeUpdate(wakeUpdate);
  t.world.agent = {
    inFlightRuns: 0,
    lastActiveAt: null,
    nextScheduledAt: new Date((await env.currentTimeMs()) + 3_600_000).toISOString(),
  };
  await t.handle.signal(sleepNowSignal);
  await t.phase('asleep');
};

/** A capacity eviction declined while a turn runs, then honoured once the agent is idle. */
const evictionWhileBusy: Scenario = async (_env, t) => {
  await t.handle.executeUpdate(wakeUpdate);
  t.world.agent = { inFlightRuns: 1, lastActiveAt: null, nextScheduledAt: null };
  await t.handle.signal(sleepNowSignal, 'put to sleep to make room: host full and b is waking', 'if-idle');
  await t.until((d) => /declined to sleep/.test(d.reason ?? ''), 'the eviction declined');
  t.world.agent = { inFlightRuns: 0, lastActiveAt: null, nextScheduledAt: null };
  await t.handle.signal(sleepNowSignal, 'put to sleep to make room: host full and c is waking', 'if-idle');
  await t.phase('asleep');
};

/** An operator's sleep (no mode: after the turn) while a turn runs: it waits, looks again, then drains. */
const sleepAfterTurn: Scenario = async (env, t) => {
  await t.handle.executeUpdate(wakeUpdate);
  t.world.agent = { inFlightRuns: 1, lastActiveAt: null, nextScheduledAt: null };
  await t.handle.signal(sleepNowSignal, 'operator: maintenance');
  await t.until((d) => /waiting for the running turn/.test(d.reason ?? ''), 'the sleep waiting');
  await env.sleep(6_000);
  t.world.agent = { inFlightRuns: 0, lastActiveAt: null, nextScheduledAt: null };
  await env.sleep(6_000);
  await t.phase('asleep');
};

/** The paused tier's deep-sleep timeout in the paused scenario's worker settings. */
const DEEP_SLEEP_MS = 30 * MINUTE;

/**
 * The paused tier: idle (pause after the final snapshot), a message resumes
 * it, idle again, a resume that fails wakes cold, idle again, and the
 * deep-sleep timeout stops it.
 */
const pausedPath: Scenario = async (env, t) => {
  await t.handle.executeUpdate(wakeUpdate);
  await env.sleep(MINUTE + 5_000);
  await t.phase('paused');
  await t.handle.signal(deliverSignal, envelope('m1'));
  await t.until((d) => d.deliveredCount === 1 && d.phase === 'running', 'delivery after the resume');
  await env.sleep(MINUTE + 5_000);
  await t.phase('paused');
  t.world.resumeFailure = 'replay: no answer after the thaw';
  await t.handle.signal(deliverSignal, envelope('m2'));
  await t.until((d) => d.deliveredCount === 2 && d.phase === 'running', 'delivery after a cold wake');
  await env.sleep(MINUTE + 5_000);
  await t.phase('paused');
  await env.sleep(DEEP_SLEEP_MS + 5_000);
  await t.phase('asleep');
};

const SCENARIOS: Record<string, Scenario> = {
  'wake-deliver-sleep': wakeDeliverSleep,
  // The same path since the cold wake's steps after the launch run as local activities (wake-phases.ts).
  'wake-deliver-sleep-local': wakeDeliverSleep,
  'operator-suspend-resume-offboard': operatorPath,
  'crash-loop-failed-resume': crashLoop,
  'paused-resume-cold-deep-sleep': pausedPath,
  // The same path since the resume runs as local activities (paused-tier.ts); the fixtures above keep the older one.
  'paused-resume-local': pausedPath,
  // Since the thaw and the first delivery run as one local activity; the two above keep the older ones.
  'paused-resume-one-hop': pausedPath,
  'eviction-declined-while-busy': evictionWhileBusy,
  'sleep-after-turn': sleepAfterTurn,
};
/** Scenarios whose worker settings turn the paused tier on. */
const PAUSING = new Set(['paused-resume-cold-deep-sleep', 'paused-resume-local', 'paused-resume-one-hop']);

async function record(
  env: TestWorkflowEnvironment,
  workflowBundle: WorkflowBundle,
  name: string,
  scenario: Scenario,
): Promise<void> {
  const world = new FakeWorld(uniqueTenantId());
  if (PAUSING.has(name)) world.deepSleepAfterMs = DEEP_SLEEP_MS;
  await runTenant(env, workflowBundle, { settings: { idleTimeoutMs: MINUTE }, world }, async (t) => {
    await scenario(env, t);
    // Follow the continue-as-new chain from the first run; each run is one fixture.
    let runId: string | null | undefined = t.handle.firstExecutionRunId;
    for (let index = 0; runId; index += 1) {
      const history = await env.client.workflow.getHandle(t.handle.workflowId, runId).fetchHistory();
      const file = new URL(`${name}-${index}.json`, OUT_DIR);
      await writeFile(file, historyToJSON(history));
      console.log(`recorded ${fileURLToPath(file)} (${history.events?.length ?? 0} events)`);
      runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    }
  });
}

async function main(): Promise<void> {
  quietRuntime();
  const [env, workflowBundle] = await Promise.all([createWorkflowTestEnv(), bundle()]);
  try {
    const only = process.argv.slice(2);
    for (const name of only) if (!(name in SCENARIOS)) throw new Error(`no scenario ${name}`);
    for (const [name, scenario] of Object.entries(SCENARIOS))
      if (only.length === 0 || only.includes(name)) await record(env, workflowBundle, name, scenario);
  } finally {
    await env.teardown();
  }
}

await main();
