/**
 * Where one paused resume's time goes, from the workflow's history (event
 * times, this host's wall clock) and the supervisor's request log between the
 * POST and the moment the bench saw the ack recorded. Each step is the gap
 * from the previous event, named by the event that ends it, so the steps add
 * up to the whole resume. Local activities leave their markers at the end of
 * the workflow task: what the supervisor was asked inside it (the thaw's
 * `/readyz`, the delivery) comes from its log.
 */
import { readFile } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import { tenantWorkflowId } from '../workflows/shared.js';

/** What the resume activity's one log line (activities/resume-and-deliver.ts, `pod resumed`) says of its steps. */
export interface ResumeLogLine {
  readonly tenantId?: string;
  readonly startedAt?: number;
  readonly thawed?: number;
  readonly ready?: number;
  readonly acked?: number;
}

/**
 * Installs this process's Temporal runtime logger (before any worker: one per process) so that the resume
 * activity's `pod resumed` lines are kept for `traceResume`; other lines at WARN and above go to stderr as the
 * default logger's do.
 */
export function keepResumeLog(): ResumeLogLine[] {
  const lines: ResumeLogLine[] = [];
  const stderr = new DefaultLogger('WARN');
  const keep = (entry: LogEntry) => {
    if (entry.message === 'pod resumed') lines.push(entry.meta as ResumeLogLine);
    else if (entry.level === 'WARN' || entry.level === 'ERROR')
      stderr.log(entry.level, entry.message, entry.meta);
  };
  Runtime.install({ logger: new DefaultLogger('INFO', keep) });
  return lines;
}

export interface ResumeStep {
  /** What ended the step: `signaled`, `task started`, `resumePod completed`, `seen by the bench`, ... */
  readonly event: string;
  readonly ms: number;
}

/** The events of one resume, as steps from `posted` (epoch ms) to `recorded`. */
export async function traceResume(input: {
  client: Client;
  tenantId: string;
  posted: number;
  recorded: number;
  /** The tenant's supervisor log (pino JSON lines, info level). */
  supervisorLog?: string;
  /** When the router answered the POST (epoch ms): the signal was accepted. */
  answered?: number;
  /** The resume activity's log lines (`keepResumeLog`), for the worker's own steps. */
  resumeLog?: readonly ResumeLogLine[];
}): Promise<ResumeStep[]> {
  const history = await input.client.workflow.getHandle(tenantWorkflowId(input.tenantId)).fetchHistory();
  const names = new Map<string, string>(); // scheduled event id → activity type
  const marks: { at: number; event: string }[] = [];
  const within = (at: number) => at >= input.posted && at <= input.recorded;
  for (const event of history.events ?? []) {
    const at = Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6);
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) names.set(String(event.eventId), scheduled.activityType?.name ?? '');
    const label = eventLabel(event, names);
    if (label !== null && within(at)) marks.push({ at, event: label });
  }
  if (input.supervisorLog)
    marks.push(...(await supervisorMarks(input.supervisorLog)).filter((m) => within(m.at)));
  if (input.answered !== undefined) marks.push({ at: input.answered, event: 'router answered' });
  for (const line of input.resumeLog ?? []) {
    if (line.tenantId !== input.tenantId || line.startedAt === undefined) continue;
    const at = (ms: number | undefined, event: string) =>
      ms !== undefined && within(line.startedAt! + ms) && marks.push({ at: line.startedAt! + ms, event });
    at(0, 'resume activity started');
    at(line.thawed, 'freezer thawed');
    at(line.ready, 'supervisor check confirmed');
    at(line.acked, 'delivery acked to the worker');
  }
  marks.sort((a, b) => a.at - b.at); // stable: history events keep their order
  const steps: ResumeStep[] = [];
  let previous = input.posted;
  for (const { at, event } of marks) {
    steps.push({ event, ms: at - previous });
    previous = at;
  }
  steps.push({ event: 'seen by the bench', ms: input.recorded - previous });
  return steps;
}

/** Each request the supervisor answered: when it came in and when it was answered. */
async function supervisorMarks(logFile: string): Promise<{ at: number; event: string }[]> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  const urls = new Map<string, string>(); // request id → url
  const marks: { at: number; event: string }[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    const record = JSON.parse(line) as { time: number; msg: string; reqId?: string; req?: { url?: string } };
    if (!record.reqId) continue;
    if (record.msg === 'incoming request' && record.req?.url) {
      urls.set(record.reqId, record.req.url);
      marks.push({ at: record.time, event: `supervisor ${record.req.url} in` });
    } else if (record.msg === 'request completed' && urls.has(record.reqId))
      marks.push({ at: record.time, event: `supervisor ${urls.get(record.reqId)} answered` });
  }
  return marks;
}

type HistoryEvent = NonNullable<
  Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>['events']
>[number];

function eventLabel(event: HistoryEvent, names: Map<string, string>): string | null {
  if (event.workflowExecutionSignaledEventAttributes)
    return `signal ${event.workflowExecutionSignaledEventAttributes.signalName}`;
  if (event.workflowTaskScheduledEventAttributes) return 'task scheduled';
  if (event.workflowTaskStartedEventAttributes) return 'task started';
  if (event.workflowTaskCompletedEventAttributes) return 'task completed';
  if (event.markerRecordedEventAttributes) return `marker ${event.markerRecordedEventAttributes.markerName}`;
  const activity = (id: unknown, what: string) => `${names.get(String(id)) ?? 'activity'} ${what}`;
  if (event.activityTaskScheduledEventAttributes)
    return `${event.activityTaskScheduledEventAttributes.activityType?.name} scheduled`;
  if (event.activityTaskStartedEventAttributes)
    return activity(event.activityTaskStartedEventAttributes.scheduledEventId, 'started');
  if (event.activityTaskCompletedEventAttributes)
    return activity(event.activityTaskCompletedEventAttributes.scheduledEventId, 'completed');
  if (event.activityTaskFailedEventAttributes)
    return activity(event.activityTaskFailedEventAttributes.scheduledEventId, 'failed');
  if (event.upsertWorkflowSearchAttributesEventAttributes) return 'search attributes';
  return null;
}

/** One line per step: `+12 signal deliver, +3 task scheduled, ...`. */
export function formatSteps(steps: readonly ResumeStep[]): string {
  return steps.map((s) => `+${s.ms} ${s.event}`).join(', ');
}
