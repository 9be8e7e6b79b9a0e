/**
 * bench:wake (e): the paused tier. A second tenant on the same fleet goes
 * idle, takes its final snapshot and is frozen in memory (the fleet runs
 * with a long `deepSleepAfter`); then a Telegram update is POSTed to the
 * router and timed until OpenClaw's durable ack (the workflow's
 * `deliveredCount`), as (b) is. Its idle timeout is 3 s so that pauses come
 * quickly: the timeout is not inside the measured time. Also samples the CPU
 * time of the paused tenant's processes while it is paused.
 */
import { join } from 'node:path';
import { telegramUpdate } from '../fakes/fake-telegram.js';
import type { Fleet } from '../test/local/fleet.js';
import type { FleetRouter } from '../test/local/fleet-router.js';
import { formatSteps, traceResume, type ResumeLogLine, type ResumeStep } from './resume-trace.js';
import { rssByProcess, usageOf, pollUntil } from './stats.js';

const TENANT = 'bench-paused';
/** Finer than (b)'s 20 ms: the figure is tens of milliseconds. */
const POLL_MS = 2;
/**
 * How long each resume waits after the pause before its POST: a tenant is
 * paused for minutes or hours, and a process frozen longer has more overdue
 * timers to run at its thaw.
 */
export const HOLD_MS = Number(process.env['BENCH_PAUSED_HOLD_MS'] ?? 10_000);
/** How long the paused tenant's CPU time is sampled. */
const PAUSED_SAMPLE_MS = 10_000;

export interface PausedResume {
  /** Webhook until the bench's query sees the durable ack, one per resume (includes that query's round trip). */
  readonly resumeMs: number[];
  /**
   * Webhook to the durable ack itself: the workflow task that recorded the delivery completed (its history event),
   * one per resume whose trace has it. What the target measures; `resumeMs` adds the bench's polling.
   */
  readonly ackInHistoryMs: number[];
  /** CPU use of the paused tenant's processes (one core = 100) over `PAUSED_SAMPLE_MS`. */
  readonly pausedCpuPercent: number;
  readonly processes: number;
  /** Where each resume's time went, from the workflow's history (resume-trace.ts). */
  readonly traces: ResumeStep[][];
  /** (c) on the same tenant in the same run, when asked for: webhook to durable ack while it runs. */
  readonly hotPathMs: number[];
  /**
   * Webhook to OpenClaw's durable ack where it happens, the supervisor answering the delivery (its log), one per
   * resume that has it: `resumeMs` also counts the workflow task's completion and the query that sees it.
   */
  readonly ackAtPodMs: number[];
}

/** CPU ms (utime + stime) of each process, by its script's name and pid. */
async function cpuByProcess(pids: readonly number[]): Promise<Map<string, number>> {
  const rows = await Promise.all(
    pids.map(async (pid) => {
      const [named] = await rssByProcess([pid]);
      return [`${named?.name ?? '?'}#${pid}`, (await usageOf([pid])).cpuMs] as const;
    }),
  );
  return new Map(rows);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const until = (what: string, timeoutMs: number, probe: () => Promise<boolean>) =>
  pollUntil(what, timeoutMs, POLL_MS, probe);

export async function pausedResumes(
  fleet: Fleet,
  router: FleetRouter,
  runs: number,
  /** `resumeLog`: the resume activity's log lines (resume-trace.ts `keepResumeLog`), for the worker's steps. */
  options: { hotRuns?: number; resumeLog?: readonly ResumeLogLine[] } = {},
): Promise<PausedResume> {
  const { webhookSecret } = await fleet.registerTenant(TENANT);
  await fleet.tenants.ensureStarted(TENANT, { idleTimeout: '3s' });
  const describe = () => fleet.tenants.describe(TENANT);
  let updateId = 1;
  const post = async () => {
    const response = await router.telegram(
      TENANT,
      webhookSecret,
      telegramUpdate({ updateId: updateId++, text: `paused bench ${updateId}` }),
    );
    if (response.status !== 200) throw new Error(`router answered ${response.status}`);
  };
  let lastPosted = 0;
  let lastAnswered = 0;
  let lastRecorded = 0;
  const deliver = async () => {
    const before = (await describe()).deliveredCount;
    lastPosted = Date.now();
    const t0 = performance.now();
    await post();
    lastAnswered = Date.now();
    // The first one is a cold wake, which takes minutes on a loaded host.
    await until('the durable ack', 300_000, async () => (await describe()).deliveredCount > before);
    const ms = performance.now() - t0;
    lastRecorded = Date.now();
    return ms;
  };
  const paused = () =>
    until('the tenant to pause', 300_000, async () => (await describe()).phase === 'paused');
  try {
    console.log(
      `(e) first wake of ${TENANT} (cold, not counted): ${((await deliver()) / 1000).toFixed(2)} s`,
    );
    const hotPathMs: number[] = [];
    for (let i = 0; i < (options.hotRuns ?? 0); i++) {
      const t0 = performance.now();
      await post(); // running: the router's hot path answers after OpenClaw's durable ack
      hotPathMs.push(performance.now() - t0);
    }
    await paused();
    const pids = await fleet.tenantProcesses(TENANT);
    const start = await usageOf(pids);
    await sleep(PAUSED_SAMPLE_MS);
    const end = await usageOf(pids);
    const pausedCpuPercent = Number((((end.cpuMs - start.cpuMs) / PAUSED_SAMPLE_MS) * 100).toFixed(2));
    console.log(
      `(e) paused tenant: ${pausedCpuPercent} % of one core over ${PAUSED_SAMPLE_MS / 1000} s (${pids.length} processes)`,
    );
    const resumeMs: number[] = [];
    const ackAtPodMs: number[] = [];
    const ackInHistoryMs: number[] = [];
    const traces: ResumeStep[][] = [];
    for (let run = 1; run <= runs; run++) {
      await paused();
      await sleep(HOLD_MS);
      const cpuBefore = await cpuByProcess(pids);
      const ms = await deliver();
      const cpuAfter = await cpuByProcess(pids);
      resumeMs.push(ms);
      const steps = await traceResume({
        client: fleet.client,
        tenantId: TENANT,
        posted: lastPosted,
        recorded: lastRecorded,
        supervisorLog: join(fleet.tenantDir(TENANT), 'logs', 'supervisor.log'),
        answered: lastAnswered,
        resumeLog: options.resumeLog,
      });
      traces.push(steps);
      const acked = steps.findIndex((s) => s.event === 'supervisor /deliver/telegram answered');
      if (acked >= 0) ackAtPodMs.push(steps.slice(0, acked + 1).reduce((sum, s) => sum + s.ms, 0));
      const durable = durableAckMs(steps);
      if (durable !== undefined) ackInHistoryMs.push(durable);
      console.log(`(e) paused resume ${run}: ${ms.toFixed(1)} ms: ${formatSteps(steps)}`);
      const spent = [...cpuAfter].map(([name, cpuMs]) => `${name} ${cpuMs - (cpuBefore.get(name) ?? 0)}`);
      console.log(`    CPU ms of the tenant's processes from the POST to the ack: ${spent.join(', ')}`);
    }
    return {
      resumeMs,
      ackInHistoryMs,
      pausedCpuPercent,
      processes: pids.length,
      traces,
      hotPathMs,
      ackAtPodMs,
    };
  } finally {
    await fleet.tenants.sleep(TENANT).catch(() => undefined); // frees its place and memory for the cold rounds
    await until(
      'the paused tenant to sleep',
      120_000,
      async () => (await describe()).phase === 'asleep',
    ).catch(() => undefined);
  }
}

/** From the POST to the completion of the workflow task that recorded the pod's ack, if the trace shows both. */
export function durableAckMs(steps: readonly ResumeStep[]): number | undefined {
  const acked = steps.findIndex((s) => s.event === 'delivery acked to the worker');
  if (acked < 0) return undefined;
  const completed = steps.findIndex((s, i) => i > acked && s.event === 'task completed');
  return completed < 0 ? undefined : steps.slice(0, completed + 1).reduce((sum, s) => sum + s.ms, 0);
}
