/**
 * Reminders end to end (issue 19, item 3), as cases on the fleet of
 * tenant-e2e.test.ts (real Temporal, real OpenClaw in its sandbox; only the
 * model and the Bot API are fakes): an end user asks in Telegram for a
 * reminder a few minutes ahead, the model calls OpenClaw's cron tool
 * (`automations`), the tenant goes idle and sleeps, the workflow wakes it a
 * lead time before the job with no message, and OpenClaw's job sends the
 * reminder to the same chat on time.
 *
 * Timing: the idle timeout is 1 minute (the least `configure` allows) and the
 * scheduled-wake lead its default 1 minute. A job 3 minutes ahead is still
 * more than the lead away when the idle deadline comes, so the tenant sleeps,
 * and about a minute later the workflow wakes it for the job.
 */
import { strict as assert } from 'node:assert';
import type { temporal } from '@temporalio/proto';
import {
  echoReply,
  lastUserText,
  offeredTools,
  toolResults,
  type ReplyScript,
  type ToolResult,
} from '../../fakes/fake-llm.js';
import { telegramUpdate, type BotApiCall } from '../../fakes/fake-telegram.js';
import { DEFAULT_SETTINGS, tenantWorkflowId } from '../../workflows/shared.js';
import { eventually } from '../supervisor/supervisor-process.js';
import type { Fleet } from './fleet.js';

const TENANT = 'e2e-remind';
/** The end user's private chat (and Telegram user id): listed in the tenant's `allowFrom`, so an owner. */
const CHAT = 4242;
const AHEAD_MS = 3 * 60_000;
const LEAD_MS = DEFAULT_SETTINGS.scheduledWakeLeadMs;
const ASK = 'remind me in 3 minutes to stretch';
const ACK = 'ok, I will remind you in 3 minutes';
/** What the job tells the agent when it runs, and what the agent then says. */
const JOB_MESSAGE = 'Remind the user that it is time to stretch.';
const REMINDER = 'Reminder: time to stretch!';
/**
 * From the job's due time to the reminder at the Bot API: OpenClaw prepares the job's agent turn (16 s of it on a
 * busy host), calls the model and sends; 7–26 s measured. A wake too late for the job shows as 2 minutes or more
 * (OpenClaw defers a job missed at its start by 120 s).
 */
const ON_TIME_MS = 60_000;

/** A job as the `automations` tool returns it from `add` (the fields checked here). */
interface CreatedJob {
  readonly id: string;
  readonly enabled: boolean;
  readonly schedule: { readonly kind: string; readonly at?: string };
  readonly sessionTarget?: string;
  readonly payload: { readonly kind: string; readonly message?: string };
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export function reminderCases(fleet: () => Fleet): void {
  let botToken = '';
  let dueAtMs = 0;
  let offered: string[] = [];
  let created: ToolResult | undefined;
  let ack: BotApiCall | undefined;
  let asleep = { generation: 0, deliveredCount: 0 };

  /** The model: one cron tool call for the request, a confirmation after it, the reminder when the job runs; echo otherwise. */
  const model: ReplyScript = (messages, request) => {
    const last = lastUserText(messages);
    if (last.includes(JOB_MESSAGE)) return REMINDER;
    if (!last.includes(ASK)) return echoReply(messages, request);
    const [result] = toolResults(messages);
    if (result) {
      created = result;
      return ACK;
    }
    offered = offeredTools(request);
    dueAtMs = Date.now() + AHEAD_MS;
    const job = {
      name: 'Stretch reminder',
      schedule: { kind: 'at', at: new Date(dueAtMs).toISOString() },
      payload: { kind: 'agentTurn', message: JOB_MESSAGE },
    };
    // Tenants get direct tool schemas (`tools.toolSearch: false`): the model calls the cron tool by its name.
    return { toolCalls: [{ name: 'automations', arguments: { action: 'add', job } }] };
  };

  const sent = (text: string) => (c: BotApiCall) =>
    c.token === botToken && c.method === 'sendMessage' && String(c.params['text']).includes(text);
  const describe = () => fleet().tenants.describe(TENANT);

  it('an end user asks for a reminder 3 minutes ahead: OpenClaw offers its cron tool, creates the job, and the bot confirms in the chat', async () => {
    const f = fleet();
    ({ botToken } = await f.registerTenant(TENANT));
    const record = await f.registry.get(TENANT);
    await f.registry.update(
      TENANT,
      { channels: { telegram: { enabled: true, allowFrom: [String(CHAT)] } } },
      record!.version,
    );
    // The default tier, as the main tenant: every tier has cron (test/worker/launch-planner.test.ts), and on a busy
    // host the free tier's small CPU weight stretched its first cold wake past 4 minutes.
    const settings = { idleTimeout: '1m' } as const;
    await f.tenants.ensureStarted(TENANT, settings);
    f.llm.setReply(model);
    const updateId = 9100;
    await f.tenants.deliver(
      TENANT,
      {
        channel: 'telegram',
        dedupeId: String(updateId),
        receivedAt: new Date().toISOString(),
        body: JSON.stringify(telegramUpdate({ updateId, text: ASK, chatId: CHAT })),
      },
      settings,
    );
    ack = await f.telegram.waitFor(sent(ACK), 240_000);
    assert.equal(String(ack.params['chat_id']), String(CHAT));
    assert.ok(
      offered.includes('automations'),
      `OpenClaw offers its cron tool to this owner: ${offered.join(', ')}`,
    );
    assert.ok(created, 'the model saw the tool result');
    const job = createdJob(created);
    assert.equal(job.enabled, true, created.text);
    assert.equal(job.schedule.kind, 'at');
    assert.equal(Date.parse(job.schedule.at ?? ''), dueAtMs);
    assert.equal(job.payload.kind, 'agentTurn');
    assert.equal(job.sessionTarget, 'current', 'the job answers in the conversation that asked');
  });

  it('idle, it sleeps before the job: every process gone, the job time kept as its next scheduled wake', async () => {
    assert.ok(ack, 'no reminder was set up (the first case failed)');
    await eventually(
      async () => ((await describe()).phase === 'asleep' ? true : undefined),
      AHEAD_MS,
      'the tenant to fall asleep',
    );
    const sleptAt = Date.now();
    const described = await describe();
    assert.ok(
      dueAtMs - sleptAt > LEAD_MS,
      `asleep ${Math.round((dueAtMs - sleptAt) / 1000)} s before the job`,
    );
    assert.equal(Date.parse(described.nextScheduledAt ?? ''), dueAtMs, 'the next wake is the job’s time');
    await eventually(
      async () => ((await fleet().tenantProcesses(TENANT)).length === 0 ? true : undefined),
      30_000,
      'the tenant processes to exit',
    );
    asleep = { generation: described.generation, deliveredCount: described.deliveredCount };
    console.log(`    [reminder] asleep ${((dueAtMs - sleptAt) / 1000).toFixed(0)} s before the job`);
  });

  it('the workflow wakes it a lead time before the job, with no message; the reminder reaches the same chat on time, nothing in between', async () => {
    const f = fleet();
    try {
      assert.ok(asleep.generation > 0, 'the tenant never slept before the job (an earlier case failed)');
      const reminder = await f.telegram.waitFor(sent(REMINDER), dueAtMs - Date.now() + 180_000);
      const lateMs = reminder.at - dueAtMs;
      assert.equal(String(reminder.params['chat_id']), String(CHAT));
      assert.ok(lateMs >= 0 && lateMs < ON_TIME_MS, `the reminder came ${lateMs} ms after the job's time`);
      const between = f.telegram
        .callsFor(botToken, 'sendMessage')
        .filter((c) => c.at > ack!.at && c.at < reminder.at);
      assert.deepEqual(
        between.map((c) => c.params['text']),
        [],
        'no message between the confirmation and the reminder',
      );

      const described = await describe();
      assert.equal(described.generation, asleep.generation + 1, 'one wake: a new pod');
      assert.equal(described.deliveredCount, asleep.deliveredCount, 'no message was delivered to wake it');
      // The run that slept: it continued as new at the sleep, so its history starts asleep.
      const { events } = await f.client.workflow.getHandle(tenantWorkflowId(TENANT)).fetchHistory();
      const wake = scheduledWake(events ?? []);
      assert.ok(
        Math.abs(wake.timerFiredMs - (dueAtMs - LEAD_MS)) < 5_000,
        `woken ${((dueAtMs - wake.timerFiredMs) / 1000).toFixed(1)} s before the job (lead ${LEAD_MS / 1000} s)`,
      );
      console.log(
        `    [reminder] woken ${((dueAtMs - wake.timerFiredMs) / 1000).toFixed(1)} s before the job, ` +
          `up ${((wake.launchedMs - wake.timerFiredMs) / 1000).toFixed(1)} s later; ` +
          `reminder ${(lateMs / 1000).toFixed(1)} s after the job's time`,
      );
    } finally {
      f.llm.setReply(echoReply);
    }
  });
}

/** The job from the `automations` tool's answer (the job itself, or wrapped in a `result.content` envelope). */
function createdJob(result: ToolResult): CreatedJob {
  const parsed = JSON.parse(result.text) as Partial<CreatedJob> & {
    result?: { content?: { text?: string }[] };
  };
  if (parsed.schedule) return parsed as CreatedJob;
  const text = parsed.result?.content?.[0]?.text;
  assert.ok(text, `no job in the tool result: ${result.text.slice(0, 500)}`);
  return JSON.parse(text) as CreatedJob;
}

/**
 * In the history of the run that started asleep: a timer fired, then the
 * launch; no `deliver` signal and no `wake` update came first.
 */
function scheduledWake(events: HistoryEvent[]): { timerFiredMs: number; launchedMs: number } {
  const at = (e: HistoryEvent | undefined) =>
    e?.eventTime ? Number(e.eventTime.seconds) * 1000 + Math.floor((e.eventTime.nanos ?? 0) / 1e6) : NaN;
  const launch = events.findIndex(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'launchPod',
  );
  assert.ok(launch > 0, 'the run launched a pod');
  const before = events.slice(0, launch);
  const signals = before.flatMap((e) => e.workflowExecutionSignaledEventAttributes?.signalName ?? []);
  const updates = before.flatMap(
    (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ?? [],
  );
  assert.deepEqual([...signals, ...updates], [], 'nothing but the timer woke it');
  const fired = before.filter((e) => e.timerFiredEventAttributes);
  assert.equal(fired.length, 1, 'one timer fired: the scheduled wake');
  const launchedId = events[launch]!.eventId;
  const completed = events.find(
    (e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === launchedId?.toString(),
  );
  return { timerFiredMs: at(fired[0]), launchedMs: at(completed) };
}
