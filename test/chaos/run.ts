/**
 * One chaos run: an offline dev stack (every component a process of its own),
 * a few Telegram tenants on real OpenClaw, a stream of Telegram updates and
 * chat requests, and SIGKILLs drawn from a seed; then the checks of verdict.ts.
 * `npm run chaos` (main.ts) runs the full one, test/chaos/chaos.test.ts a short one.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminClient } from '../../client/admin-client.js';
import { adminTokenPath, loadConfig, withOverrides } from '../../common/config.js';
import { ANY_PORTS, startStack, type Stack } from '../../dev/stack.js';
import { planKills, TENANT_KINDS, victimPid, victimPids, type KillKind, type PlannedKill } from './kills.js';
import { firstModelCall, type ColdWake } from './recovery-times.js';
import { seeded, type Random } from './seeded.js';
import { chatRequest, deliverUpdate, type Delivery } from './traffic.js';
import { judge, strayProcesses, type Verdict } from './verdict.js';

export interface ChaosOptions {
  readonly seed: number;
  readonly tenants: number;
  /** Messages across all tenants (Telegram updates and chat requests; recovery probes come on top). */
  readonly messages: number;
  readonly kills: number;
  /** The kills are spread over this long after the traffic starts. */
  readonly spanMs: number;
  /** First port of the tenants' slots (two runs at once need different ones). @default 26000 */
  readonly portBase?: number;
  /** Stop sending new messages after this long (a run on a loaded machine that must end in time). @default none */
  readonly trafficBudgetMs?: number;
  /** Share of the messages that are chat requests rather than Telegram updates. @default 0.25 */
  readonly chatShare?: number;
  /**
   * Spread the messages over the kill span, so every kill lands in traffic; false sends them back to back (they run
   * out after the first kills). @default true
   */
  readonly paced?: boolean;
  /** Kill only these kinds (one failure studied alone). @default every kind */
  readonly kinds?: readonly KillKind[];
  /** Router processes sharing the public port, like production's replicas (dev/stack.ts `routers`). @default 2 */
  readonly routers?: number;
  /** Leave the stack's data dir (its logs) in place after the run, and say where. @default false */
  readonly keepDataDir?: boolean;
  readonly report?: (line: string) => void;
}

export interface KillRecord extends PlannedKill {
  readonly tenantId: string;
  readonly pid?: number;
  /** Processes of that kind alive at the kill (a gateway's own helpers included): none of them counts as back. */
  readonly before?: readonly number[];
  readonly killedAt?: number;
  /** A new process of that kind is running (ms after the kill). */
  backMs?: number;
  /** The word of the chat request sent right after the kill (the probe). */
  probeWord?: string;
  /** The probe reached the model (ms after the kill): messages flow again (recovery-times.ts). */
  reachedModelMs?: number;
  /** The probe was answered (ms after the kill): the recovery plus the probe's whole turn. */
  answeredMs?: number;
  /** That request's attempts: status and duration of each, with the client's backoff between them. */
  probeTrail?: string[];
  skipped?: string;
}

export interface Tenant {
  readonly id: string;
  readonly botToken: string;
  readonly apiKey: string;
  readonly chatId: number;
  readonly deliveries: Delivery[];
  /** Its first message, a cold wake with nothing else booting: a tenant kill's yardstick. */
  coldWake?: ColdWake;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runChaos(options: ChaosOptions): Promise<Verdict> {
  const report = options.report ?? console.log;
  const random = seeded(options.seed);
  const plan = planKills(random, {
    kills: options.kills,
    tenants: options.tenants,
    spanMs: options.spanMs,
    ...(options.kinds && { kinds: options.kinds }),
  });
  report(
    `chaos: seed ${options.seed} (replay: --seed ${options.seed}), ${options.tenants} tenants, ` +
      `${options.routers ?? 2} routers, ` +
      `${options.messages} messages, kills: ${plan.map((k) => `${k.kind}@${(k.atMs / 1000).toFixed(0)}s`).join(' ')}`,
  );
  const home = await mkdtemp(join(tmpdir(), 'clawfleet-chaos-'));
  let stack: Stack | undefined;
  try {
    stack = await startStack({
      config: withOverrides(loadConfig({}), {
        common: { dataDir: join(home, 'stack') },
        local: { portBase: options.portBase ?? 26000 },
      }),
      ports: ANY_PORTS,
      offline: true,
      awsProcesses: true,
      routers: options.routers ?? 2,
      report: (line) => report(`  [stack] ${line}`),
    });
    const tenants = await createTenants(stack, options.tenants);
    report(`chaos: ${tenants.length} tenants awake; traffic and kills start`);
    const started = Date.now();
    const kills: KillRecord[] = [];
    await Promise.all([
      ...tenants.map((tenant, i) => userTraffic(stack!, tenant, i, options, seeded(options.seed + 1 + i))),
      killAll(stack, tenants, plan, started, kills, report, options.keepDataDir ? home : undefined),
    ]);
    const verdict = await judge(stack, tenants, kills, { seed: options.seed, report });
    if (options.keepDataDir) await keepSupervisorLogs(stack, tenants, home, 'end');
    const pids = [...stack.pids()];
    await stack.stop();
    stack = undefined;
    verdict.orphans = await strayProcesses(home, pids);
    return verdict;
  } finally {
    await stack?.stop();
    if (options.keepDataDir) report(`chaos: the stack's data dir and logs are kept in ${home}`);
    else await rm(home, { recursive: true, force: true });
  }
}

async function createTenants(stack: Stack, count: number): Promise<Tenant[]> {
  const { config } = stack;
  const token = (await readFile(adminTokenPath(config), 'utf8')).trim();
  const admin = new AdminClient({ baseUrl: `http://${config.router.host}:${config.admin.port}`, token });
  const tenants: Tenant[] = [];
  for (let i = 0; i < count; i++) {
    const botToken = `${7100 + i}:chaos-bot-${i}`;
    const created = await admin.createTenant({
      tenantId: `chaos-${i}`,
      secrets: { 'telegram-bot-token': botToken },
      // Each Telegram turn resends the whole conversation: a full run's ~170 turns on one tenant passed the
      // standard tier's 2M tokens a day, and the model gateway refused the last turns (not a recovery failure).
      // Its 200,000 tokens a minute likewise: a 429 with Retry-After until the minute's end held every tenant's
      // turns for up to 30 s at once, which read as a stall after whichever kill came next.
      quotas: { tokensPerMinute: 10_000_000, tokensPerDay: 50_000_000, tokensPerMonth: 1_000_000_000 },
    });
    tenants.push({
      id: `chaos-${i}`,
      botToken,
      apiKey: created.apiKey!.apiKey,
      chatId: 9100 + i,
      deliveries: [],
    });
  }
  // Every tenant awake before the first kill: the run is about messages in flight, not cold wakes. One at a
  // time, so each first message is one cold wake alone, like a killed tenant's relaunch.
  for (const t of tenants) {
    const word = `wake${t.id.replace('-', '')}zq`;
    const wake = await chatRequest(chatUrl(stack, t), t.apiKey, word, `wake-${t.id}-0000`);
    const reached = firstModelCall(stack.fakes!.llm, word);
    t.coldWake = {
      ...(reached !== undefined && { reachedModelMs: reached - wake.sentAt }),
      ...(wake.acceptedAt !== undefined && { answeredMs: wake.acceptedAt - wake.sentAt }),
    };
  }
  return tenants;
}

export const chatUrl = (stack: Stack, tenant: Tenant) =>
  `http://${stack.config.router.host}:${stack.config.router.port}/v1/tenants/${tenant.id}/chat/completions`;

let nextUpdateId = Math.floor(Date.now() / 1000);

/**
 * One tenant's users: one message at a time, the next once the last is answered (or a minute has passed),
 * paced over the kill span so that every kill lands in traffic. Sent back to back, the messages ran out in
 * the first minutes, and a later kill's probe was its tenant's first turn after minutes of quiet: OpenClaw
 * retires its idle worker threads after 60 s and pays ~5 s to bring them back on that turn, a cost of
 * quiet, not of the kill (docs/operations.md "Chaos").
 */
async function userTraffic(
  stack: Stack,
  tenant: Tenant,
  index: number,
  options: ChaosOptions,
  random: Random,
) {
  const telegram = stack.fakes!.telegram;
  const share =
    Math.floor(options.messages / options.tenants) + (index < options.messages % options.tenants ? 1 : 0);
  const chatShare = options.chatShare ?? 0.25;
  const started = Date.now();
  const stopAt = started + (options.trafficBudgetMs ?? Infinity);
  const paceMs = options.paced === false ? 0 : (options.spanMs * 1.05) / Math.max(1, share);
  for (let n = 0; n < share && Date.now() < stopAt; n++) {
    await sleep(Math.max(0, started + n * paceMs - Date.now()));
    const word = `zq${index}n${String(n).padStart(4, '0')}zq`;
    if (random.next() < chatShare) {
      tenant.deliveries.push(await chatRequest(chatUrl(stack, tenant), tenant.apiKey, word, `chaos-${word}`));
      continue;
    }
    const delivery = await deliverUpdate(
      () => telegram.webhookOf(tenant.botToken),
      nextUpdateId++,
      word,
      tenant.chatId,
    );
    tenant.deliveries.push(delivery);
    if (delivery.acceptedAt === undefined) continue;
    await telegram
      .waitFor(
        (c) =>
          c.token === tenant.botToken &&
          c.method === 'sendMessage' &&
          String(c.params['text']).includes(word),
        60_000,
      )
      .catch(() => undefined);
  }
}

async function killAll(
  stack: Stack,
  tenants: Tenant[],
  plan: readonly PlannedKill[],
  started: number,
  kills: KillRecord[],
  report: (line: string) => void,
  keepLogsIn: string | undefined,
) {
  const recovering: Promise<void>[] = [];
  for (const [n, planned] of plan.entries()) {
    await sleep(Math.max(0, started + planned.atMs - Date.now()));
    const tenant = tenants[planned.tenant]!;
    const record: KillRecord = await killOne(stack, planned, tenant);
    kills.push(record);
    if (record.skipped) {
      report(`  kill ${n + 1}: ${planned.kind} (${tenant.id}) skipped: ${record.skipped}`);
      continue;
    }
    // Measured alongside the next kills: a slow recovery does not postpone the schedule.
    recovering.push(
      recovery(stack, tenant, record, n, keepLogsIn).then(() =>
        report(
          `  kill ${n + 1}/${plan.length} at ${((record.killedAt! - started) / 1000).toFixed(1)} s: ${planned.kind}` +
            `${TENANT_KINDS.includes(planned.kind) ? ` of ${tenant.id}` : ''} (pid ${record.pid}); ` +
            `back after ${fmt(record.backMs)}, probe reached the model after ${fmt(record.reachedModelMs)}, ` +
            `answered after ${fmt(record.answeredMs)}` +
            ` (probe: ${record.probeTrail?.join(', then ') ?? '-'})`,
        ),
      ),
    );
  }
  await Promise.all(recovering);
}

/** A tenant's supervisor and OpenClaw logs go with its directory when it is relaunched or stopped: copied for a later look. */
async function keepSupervisorLogs(stack: Stack, tenants: readonly Tenant[], home: string, label: string) {
  await mkdir(join(home, 'supervisor-logs'), { recursive: true });
  for (const tenant of tenants) {
    const dir = join(stack.dataDir, 'tenants', tenant.id);
    const keep = (from: string, suffix: string) =>
      copyFile(join(dir, from), join(home, 'supervisor-logs', `${tenant.id}-${label}${suffix}.log`)).catch(
        () => undefined,
      );
    await keep(join('logs', 'supervisor.log'), '');
    await keep(join('state', 'logs', 'openclaw.log'), '-openclaw');
  }
}

const fmt = (ms: number | undefined) => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`);

async function killOne(stack: Stack, planned: PlannedKill, tenant: Tenant): Promise<KillRecord> {
  const base = { ...planned, tenantId: tenant.id };
  // A tenant's process may be between lives (an earlier kill): wait for it, briefly.
  for (let tries = 0; tries < 120; tries++) {
    const pid = await victimPid(stack, planned.kind, tenant.id);
    if (pid) {
      const before = await victimPids(stack, planned.kind, tenant.id);
      process.kill(pid, 'SIGKILL');
      return { ...base, pid, before, killedAt: Date.now() };
    }
    await sleep(500);
  }
  return { ...base, skipped: `no ${planned.kind} process running` };
}

/** Back: a new process of the kind runs. Flowing: a chat request sent at the kill reaches the model; then it is answered. */
async function recovery(
  stack: Stack,
  tenant: Tenant,
  record: KillRecord,
  n: number,
  keepLogsIn: string | undefined,
) {
  const kind: KillKind = record.kind;
  const word = (record.probeWord = `zqprobe${n}zq`);
  const probe = chatRequest(chatUrl(stack, tenant), tenant.apiKey, word, `chaos-probe-${n}-${tenant.id}`);
  const back = (async () => {
    for (let i = 0; i < 600; i++) {
      const pid = await victimPid(stack, kind, tenant.id);
      if (pid && !record.before?.includes(pid)) return (record.backMs = Date.now() - record.killedAt!);
      await sleep(200);
    }
    return undefined;
  })();
  const answered = await probe;
  if (keepLogsIn) await keepSupervisorLogs(stack, [tenant], keepLogsIn, `kill${n + 1}`);
  tenant.deliveries.push(answered);
  if (answered.answer) record.answeredMs = answered.acceptedAt! - record.killedAt!;
  const reached = firstModelCall(stack.fakes!.llm, word);
  if (reached !== undefined) record.reachedModelMs = reached - record.killedAt!;
  if (answered.trail) record.probeTrail = answered.trail;
  await back;
}
