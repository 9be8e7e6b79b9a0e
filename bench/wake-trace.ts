/**
 * Where a cold wake's time goes, from the records each component already
 * keeps: the workflow's history (event times), the supervisor's log (pino
 * `time`), OpenClaw's own log file. All clocks are this host's wall clock.
 * Every phase is the gap between two consecutive marks, so the phases add up
 * to the whole wake.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { tenantWorkflowId } from '../workflows/shared.js';

/** Marks in the order a cold wake passes them; a missing one makes its phase merge into the next. */
export const WAKE_MARKS = [
  ['launchStarted', 'router, signal-with-start, workflow task, launchPod picked up'],
  ['processStarted', 'registry read, launch plan, tenant dir; supervisor spawned or warm one claimed'],
  ['restoring', 'supervisor start: node and modules (spawned) or claim hand-over (warm); listen'],
  ['restored', 'snapshot download, decrypt, extract'],
  ['gatewaySpawned', 'openclaw.json written, gateway spawned'],
  ['openclawConfig', 'OpenClaw process start and code loading, up to "loading configuration"'],
  ['readyz', 'OpenClaw start to /readyz 200 (as the supervisor saw it)'],
  ['webhookListening', 'Telegram listener (getMe, setWebhook) after /readyz'],
  ['launchCompleted', 'readiness to the runtime, launchPod completed'],
  ['deliverStarted', 'workflow task, publishEndpoint, deliverMessage picked up'],
  ['acked', 'supervisor → OpenClaw webhook → durable ack'],
  ['recorded', 'deliverMessage completed, workflow task, seen by the bench'],
] as const;

export type WakeMark = (typeof WAKE_MARKS)[number][0];
export type WakeTrace = Partial<Record<WakeMark | 'posted', number>>;

/** Marks of the wake that started at `posted` (epoch ms) and was seen recorded at `recorded`. */
export async function traceWake(input: {
  client: Client;
  tenantId: string;
  tenantDir: string;
  posted: number;
  recorded: number;
}): Promise<WakeTrace> {
  const trace: WakeTrace = { posted: input.posted, recorded: input.recorded };
  Object.assign(trace, await historyMarks(input.client, input.tenantId, input.posted));
  Object.assign(trace, await supervisorMarks(join(input.tenantDir, 'logs', 'supervisor.log'), input.posted));
  const openclawLog = join(input.tenantDir, 'state', 'logs', 'openclaw.log');
  const configAt = (await openclawLines(openclawLog, input.posted)).find((l) =>
    l.message.startsWith('loading configuration'),
  )?.at;
  if (configAt !== undefined) trace.openclawConfig = configAt;
  return trace;
}

/** Phase durations (ms) of one trace, keyed by the mark that ends each phase. */
export function phasesOf(trace: WakeTrace): Partial<Record<WakeMark, number>> {
  const phases: Partial<Record<WakeMark, number>> = {};
  let previous = trace.posted!;
  for (const [mark] of WAKE_MARKS) {
    const at = trace[mark];
    if (at === undefined) continue;
    phases[mark] = at - previous;
    previous = at;
  }
  return phases;
}

async function historyMarks(client: Client, tenantId: string, since: number): Promise<WakeTrace> {
  const history = await client.workflow.getHandle(tenantWorkflowId(tenantId)).fetchHistory();
  const marks: WakeTrace = {};
  const names = new Map<string, string>(); // scheduled event id → activity type
  for (const event of history.events ?? []) {
    const at = Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6);
    const id = String(event.eventId);
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) names.set(id, scheduled.activityType?.name ?? '');
    if (at < since) continue;
    const startedOf = event.activityTaskStartedEventAttributes?.scheduledEventId;
    const completedOf = event.activityTaskCompletedEventAttributes?.scheduledEventId;
    const name = names.get(String(startedOf ?? completedOf ?? ''));
    if (name === 'launchPod' && startedOf) marks.launchStarted ??= at;
    if (name === 'launchPod' && completedOf) marks.launchCompleted ??= at;
    if (name === 'deliverMessage' && startedOf) marks.deliverStarted ??= at;
  }
  return marks;
}

async function supervisorMarks(logFile: string, since: number): Promise<WakeTrace> {
  const marks: WakeTrace = {};
  const deliveries = new Set<string>(); // request ids of /deliver/telegram calls
  const text = await readFile(logFile, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    const record = JSON.parse(line) as {
      time: number;
      msg: string;
      processStartedAtMs?: number;
      claimSentAtMs?: number;
      req?: { url?: string };
      reqId?: string;
    };
    if (record.time < since) continue;
    if (record.msg === 'warm supervisor claimed') marks.processStarted ??= record.claimSentAtMs;
    if (record.msg === 'restoring state') {
      marks.restoring ??= record.time;
      if (record.processStartedAtMs && record.processStartedAtMs >= since)
        marks.processStarted ??= record.processStartedAtMs;
    }
    if (record.msg === 'state restored' || record.msg.startsWith('no snapshot'))
      marks.restored ??= record.time;
    if (record.msg === 'gateway started') marks.gatewaySpawned ??= record.time;
    if (record.msg === 'gateway /readyz 200') marks.readyz ??= record.time;
    if (record.msg === 'gateway ready') marks.webhookListening ??= record.time;
    if (record.req?.url === '/deliver/telegram' && record.reqId) deliveries.add(record.reqId);
    if (record.msg === 'request completed' && record.reqId && deliveries.has(record.reqId))
      marks.acked ??= record.time;
  }
  return marks;
}

async function openclawLines(logFile: string, since: number): Promise<{ at: number; message: string }[]> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { time?: string; message?: string })
    .map((r) => ({ at: Date.parse(r.time ?? ''), message: r.message ?? '' }))
    .filter((r) => r.at >= since);
}
