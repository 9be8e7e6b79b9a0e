/**
 * The chaos run's checks, from what the fakes recorded: every accepted
 * Telegram update reached the model and was answered exactly once; every chat
 * request was answered, and its replay with the same Idempotency-Key got the
 * same answer rather than a second one; each tenant's model still sees every
 * earlier Telegram turn; and after the stack stops, no process is left.
 */
import { readdir, readFile } from 'node:fs/promises';
import { lastUserText, userTexts } from '../../fakes/fake-llm.js';
import type { Stack } from '../../dev/stack.js';
import { waitForExit } from '../helpers/processes.js';
import type { KillRecord, Tenant } from './run.js';
import { baseline, coldWakes, type Baseline } from './recovery-times.js';
import { deliverUpdate } from './traffic.js';

export interface Verdict {
  seed: number;
  sent: number;
  accepted: number;
  answered: number;
  answeredTwice: number;
  lost: number;
  /** Accepted Telegram updates the model never saw. */
  neverReachedModel: number;
  /** Messages the model was asked more than once (a turn cut off by a kill and run again). */
  modelRepeats: number;
  /** Earlier Telegram turns missing from the model's context at the end, per tenant. */
  historyGaps: Record<string, string[]>;
  kills: {
    total: number;
    skipped: number;
    byKind: Record<
      string,
      { count: number; backMs: number[]; reachedModelMs: number[]; answeredMs: number[] }
    >;
  };
  /** The run's ordinary chat turn, to read the kills' answered times against (recovery-times.ts). */
  baseline: Baseline;
  /** Each tenant's first message, one cold wake alone: the yardstick of the tenant kills. */
  coldWake: ReturnType<typeof coldWakes>;
  killLog: KillRecord[];
  /** Words of the messages that went wrong, for the report. */
  problems: string[];
  orphans?: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function judge(
  stack: Stack,
  tenants: readonly Tenant[],
  kills: KillRecord[],
  context: { seed: number; report: (line: string) => void },
): Promise<Verdict> {
  const { llm, telegram } = stack.fakes!;
  const repliesTo = (tenant: Tenant, word: string) =>
    telegram.callsFor(tenant.botToken, 'sendMessage').filter((c) => String(c.params['text']).includes(word))
      .length;
  // Accepted updates still in flight get a last two minutes to be answered.
  const pending = () =>
    tenants.flatMap((t) =>
      t.deliveries.filter((d) => d.channel === 'telegram' && d.acceptedAt && repliesTo(t, d.word) === 0),
    );
  for (let i = 0; i < 120 && pending().length > 0; i++) await sleep(1_000);
  await sleep(5_000); // a late duplicate would arrive now

  const asked = (word: string) =>
    llm.completions().filter((r) => lastUserText(r.body?.messages ?? []).includes(word)).length;
  const verdict: Verdict = {
    seed: context.seed,
    sent: 0,
    accepted: 0,
    answered: 0,
    answeredTwice: 0,
    lost: 0,
    neverReachedModel: 0,
    modelRepeats: 0,
    historyGaps: {},
    kills: { total: kills.length, skipped: kills.filter((k) => k.skipped).length, byKind: {} },
    killLog: kills,
    baseline: baseline(
      llm,
      tenants.flatMap((t) => t.deliveries),
      kills,
    ),
    coldWake: coldWakes(Object.fromEntries(tenants.map((t) => [t.id, t.coldWake]))),
    problems: [],
  };
  for (const tenant of tenants) {
    for (const d of tenant.deliveries) {
      verdict.sent++;
      if (d.acceptedAt === undefined) {
        verdict.problems.push(`${d.word} (${d.channel}) never accepted after ${d.attempts} attempts`);
        continue;
      }
      verdict.accepted++;
      const calls = asked(d.word);
      if (calls > 1) verdict.modelRepeats++;
      if (d.channel === 'telegram') {
        if (calls === 0) verdict.neverReachedModel++;
        const replies = repliesTo(tenant, d.word);
        if (replies >= 1) verdict.answered++;
        if (replies > 1) verdict.answeredTwice++;
        if (replies === 0) verdict.lost++;
        if (replies !== 1)
          verdict.problems.push(`${d.word} (telegram, ${tenant.id}) answered ${replies} times`);
      } else {
        const ok = d.answer?.text.includes(d.word);
        if (ok) verdict.answered++;
        else verdict.lost++;
        const twice = !d.replayed || d.replayed.id !== d.answer?.id || d.replayed.text !== d.answer?.text;
        if (ok && twice) verdict.answeredTwice++;
        if (!ok || twice)
          verdict.problems.push(
            `${d.word} (chat, ${tenant.id}): ${JSON.stringify({ answer: d.answer, replayed: d.replayed })}`,
          );
      }
    }
    verdict.historyGaps[tenant.id] = await historyGaps(stack, tenant, asked);
  }
  for (const kill of kills) {
    const entry = (verdict.kills.byKind[kill.kind] ??= {
      count: 0,
      backMs: [],
      reachedModelMs: [],
      answeredMs: [],
    });
    if (kill.skipped) continue;
    entry.count++;
    if (kill.backMs !== undefined) entry.backMs.push(kill.backMs);
    if (kill.reachedModelMs !== undefined) entry.reachedModelMs.push(kill.reachedModelMs);
    if (kill.answeredMs !== undefined) entry.answeredMs.push(kill.answeredMs);
  }
  return verdict;
}

/** The tenant's last Telegram turn must show the model every earlier accepted update (no state went backwards). */
async function historyGaps(stack: Stack, tenant: Tenant, asked: (word: string) => number): Promise<string[]> {
  const { llm, telegram } = stack.fakes!;
  const word = `zqfinal${tenant.id.replace(/\W/g, '')}zq`;
  const delivery = await deliverUpdate(
    () => telegram.webhookOf(tenant.botToken),
    Math.floor(Date.now() / 1000) + 1e6,
    word,
    tenant.chatId,
  );
  if (delivery.acceptedAt === undefined) return ['(the final update was not accepted)'];
  for (let i = 0; i < 120 && asked(word) === 0; i++) await sleep(1_000);
  const last = llm.completions().findLast((r) => lastUserText(r.body?.messages ?? []).includes(word));
  if (!last) return ['(the final update never reached the model)'];
  const seen = userTexts(last.body?.messages ?? []).join('\n');
  return tenant.deliveries
    .filter((d) => d.channel === 'telegram' && d.acceptedAt !== undefined && !seen.includes(d.word))
    .map((d) => d.word);
}

/**
 * Processes left once the stack stopped: any the stack ever ran, and any
 * whose command line or environment names the run's own directory
 * (supervisors and gateways, whoever their parent is by then).
 */
export async function strayProcesses(home: string, pids: readonly number[]): Promise<string[]> {
  const stray = new Set(await waitForExit(pids, 30_000));
  for (let i = 0; i < 30; i++) {
    const mentioning: number[] = [];
    for (const name of await readdir('/proc')) {
      if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
      const [cmdline, environ] = await Promise.all(
        ['cmdline', 'environ'].map((f) => readFile(`/proc/${name}/${f}`, 'utf8').catch(() => '')),
      );
      if (cmdline!.includes(home) || environ!.includes(home)) mentioning.push(Number(name));
    }
    if (mentioning.length === 0) break;
    if (i === 29) for (const pid of mentioning) stray.add(pid);
    await sleep(1_000);
  }
  return Promise.all(
    [...stray].map(
      async (pid) =>
        `${pid} ${(await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ')}`,
    ),
  );
}
