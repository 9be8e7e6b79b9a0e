/**
 * `npm run bench:memory`: what an awake tenant's OpenClaw costs in memory
 * after 20 turns, and where it goes, with the Node/V8 settings of a tier
 * (runtime/tier-memory.ts) against OpenClaw's defaults, in one run.
 *
 * Each run boots `openclaw gateway run` with the tenant's config shape and
 * trimmed boot (supervisor/trimmed-boot.ts) against a fake model and a fake
 * Telegram Bot API, sends 20 Telegram messages through its webhook one after
 * the other (each waits for the reply), lets it settle, then reads every
 * process of its tree from /proc (RSS, PSS, anonymous and file-backed) and
 * every isolate's V8 heap (heap-probe.mjs, preloaded). Variants run in a
 * random interleaved order. Prints and writes (bench/results/memory.json)
 * median and interquartile range of each figure, the tuned/default ratio,
 * and the load average. BENCH_RUNS sets the runs per variant (3).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../common/config.js';
import { PACKAGE_ROOT } from '../common/entry-points.js';
import { ensureOpenClaw, type OpenClawInstall } from '../dev/openclaw-install.js';
import { freePort } from '../dev/ports.js';
import { startFakeLlm, type FakeLlm } from '../fakes/fake-llm.js';
import { startFakeTelegram, telegramUpdate, type FakeTelegram } from '../fakes/fake-telegram.js';
import { buildOpenClawConfig, OPENCLAW_SECRET_ENV } from '../supervisor/openclaw-config.js';
import { trimmedBootEnv } from '../supervisor/trimmed-boot.js';
import { TIER_MEMORY } from '../runtime/tier-memory.js';
import { heapReports, totals, treeMemory } from './memory-probe.js';
import { figures, heapMb, loadSummary, type Run } from './memory-figures.js';
import { pollUntil, summary } from './stats.js';
import { supervisorMemory } from './memory-supervisor.js';
import { BYTES_PER_TENANT, defaultCapacity } from '../runtime/capacity-gate.js';
import { bareGatewayEnv } from '../dev/bare-gateway-env.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const TURNS = Number(process.env['BENCH_TURNS'] ?? 20);
/** After the last reply: OpenClaw's post-turn work (memory index, session writes) and a GC or two. */
const SETTLE_MS = 10_000;
const BOT_TOKEN = '123456:bench-memory';
const VARIANTS = ['default', 'tuned'] as const;
type Variant = (typeof VARIANTS)[number];

async function run(
  install: OpenClawInstall,
  variant: Variant,
  llm: FakeLlm,
  telegram: FakeTelegram,
): Promise<Run> {
  const root = await mkdtemp(join(tmpdir(), 'clawfleet-bench-memory-'));
  const stateDir = join(root, 'state');
  const probeDir = join(root, 'heap-probe');
  try {
    for (const dir of ['state/logs', 'home', 'tmp', 'heap-probe'])
      await mkdir(join(root, dir), { recursive: true });
    const [port, webhookPort] = [await freePort(), await freePort()];
    const config = buildOpenClawConfig({
      tenantId: 'bench-memory',
      paths: { workspaceDir: join(stateDir, 'workspace'), logFile: join(stateDir, 'logs', 'openclaw.log') },
      gateway: { host: '127.0.0.1', port },
      provider: { name: 'fake', baseUrl: llm.url, modelId: 'fake-model' },
      telegram: {
        apiRoot: telegram.url,
        webhookUrl: 'http://127.0.0.1:1/tg/bench-memory',
        webhookHost: '127.0.0.1',
        webhookPort,
      },
    });
    await writeFile(join(stateDir, 'openclaw.json'), JSON.stringify(config), { mode: 0o600 });
    const webhookSecret = 'bench-memory-webhook-secret';
    const probe = `--import=${join(PACKAGE_ROOT, 'bench', 'heap-probe.mjs')}`;
    const tier = TIER_MEMORY.standard;
    const env = {
      ...bareGatewayEnv(install.node, root, stateDir),
      ...trimmedBootEnv(install.entry),
      ...(variant === 'tuned' ? tier.env : {}),
      NODE_OPTIONS: probe,
      HEAP_PROBE_DIR: probeDir,
      OPENCLAW_GATEWAY_TOKEN: 'bench-memory-token-bench-memory-token',
      [OPENCLAW_SECRET_ENV.modelToken]: 'unused',
      [OPENCLAW_SECRET_ENV.telegramBotToken]: BOT_TOKEN,
      [OPENCLAW_SECRET_ENV.telegramWebhookSecret]: webhookSecret,
    };
    const started = Date.now();
    const v8Flags = variant === 'tuned' ? tier.v8Flags : [];
    const child = spawn(install.node, [...v8Flags, install.entry, 'gateway', 'run'], {
      env,
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let log = '';
    child.stdout.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
    child.stderr.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const answers = (url: string, status: number, init?: RequestInit) => async () => {
        if (child.exitCode !== null) throw new Error(`gateway exited:\n${log}`);
        return fetch(url, { ...init, signal: AbortSignal.timeout(2_000) }).then(
          (r) => r.status === status,
          () => false,
        );
      };
      await pollUntil('/readyz', 300_000, 50, answers(`http://127.0.0.1:${port}/readyz`, 200));
      const readyMs = Date.now() - started;
      const webhook = `http://127.0.0.1:${webhookPort}/telegram-webhook`;
      await pollUntil(
        'the webhook listener',
        60_000,
        50,
        answers(webhook, 401, { method: 'POST', body: '{}' }),
      ).catch((error: Error) => Promise.reject(new Error(`${error.message}:\n${log}`)));
      const chatId = 1000 + Math.floor(Math.random() * 1e6);
      for (let turn = 1; turn <= TURNS; turn++) {
        const replies = () =>
          telegram.callsFor(BOT_TOKEN, 'sendMessage').filter((c) => c.params['chat_id'] == chatId);
        const before = replies().length;
        const response = await fetch(webhook, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': webhookSecret },
          body: JSON.stringify(
            telegramUpdate({ updateId: turn, chatId, text: `turn ${turn}: remember ${turn * 7}` }),
          ),
        });
        if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
        await pollUntil(`reply ${turn}`, 120_000, 50, () => Promise.resolve(replies().length > before));
      }
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      return { processes: await treeMemory(child.pid!), heaps: await heapReports(probeDir), readyMs };
    } finally {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const install = await ensureOpenClaw({ cacheDir: loadConfig().common.cacheDir, report: console.log });
  const [llm, telegram] = await Promise.all([startFakeLlm(), startFakeTelegram()]);
  const order = VARIANTS.flatMap((v) => Array.from({ length: RUNS }, () => v)).sort(
    () => Math.random() - 0.5,
  );
  const runs: Record<Variant, Run[]> = { default: [], tuned: [] };
  const loads: number[] = [];
  // A boot that fails (on a loaded host OpenClaw's start-up state lease can time out) is retried once, and counted.
  const failures: Record<Variant, number> = { default: 0, tuned: 0 };
  const attempt = (variant: Variant) =>
    run(install, variant, llm, telegram).catch((error: Error) => {
      failures[variant] += 1;
      console.log(`${variant}: failed (${error.message.split('\n')[0]}), load ${loadavg()[0]}; once more`);
      return run(install, variant, llm, telegram);
    });
  try {
    for (const [i, variant] of order.entries()) {
      loads.push(loadavg()[0]!);
      const result = await attempt(variant);
      runs[variant].push(result);
      const t = totals(result.processes);
      console.log(
        `${i + 1}/${order.length} ${variant}: RSS ${t.rssMb} MB, PSS ${t.pssMb} MB (anon ${t.pssAnonMb}, file ${t.pssFileMb}), ` +
          `V8 heap ${heapMb(result.heaps, (h) => h.heapTotal)} MB, ${result.processes.map((p) => `${p.name} ${p.pssMb}`).join(', ')}`,
      );
    }
  } finally {
    await Promise.all([llm.close(), telegram.close()]);
  }
  const supervisors: Record<Variant, { rssMb: number; pssMb: number }[]> = { default: [], tuned: [] };
  for (const variant of order) supervisors[variant].push(await supervisorMemory(variant === 'tuned'));
  const supervisor = (variant: Variant) => ({
    rssMb: summary(supervisors[variant].map((s) => s.rssMb)),
    pssMb: summary(supervisors[variant].map((s) => s.pssMb)),
  });
  const base = figures(runs.default);
  const tuned = figures(runs.tuned);
  const tunedSupervisor = supervisor('tuned');
  const awakeRssMb = tuned.rssMb.median + tunedSupervisor.rssMb.median;
  const awakePssMb = tuned.pssMb.median + tunedSupervisor.pssMb.median;
  const result = {
    runsPerVariant: RUNS,
    turns: TURNS,
    failedBoots: failures,
    loadAverage1m: loadSummary(loads),
    tunedSettings: { v8Flags: TIER_MEMORY.standard.v8Flags, env: TIER_MEMORY.standard.env },
    default: base,
    tuned,
    rssRatio: Number((tuned.rssMb.median / base.rssMb.median).toFixed(3)),
    pssRatio: Number((tuned.pssMb.median / base.pssMb.median).toFixed(3)),
    supervisor: { default: supervisor('default'), tuned: tunedSupervisor },
    // One awake tenant: OpenClaw's tree with the tier's settings plus its supervisor (medians).
    awakeRssMb,
    awakePssMb,
    // The capacity gate's budget (runtime/capacity-gate.ts) and what it allows here now: paused tenants keep
    // their memory, so awake and paused tenants share the same places.
    budgetPerTenantMb: Math.round(BYTES_PER_TENANT / 1024 / 1024),
    availableMemoryMb: Math.round(freemem() / 1024 / 1024),
    totalMemoryMb: Math.round(totalmem() / 1024 / 1024),
    defaultCapacity: defaultCapacity(0),
  };
  console.log(
    `awake tenant: ${awakeRssMb} MB RSS, ${awakePssMb} MB PSS (OpenClaw ${tuned.rssMb.median} + supervisor ${tunedSupervisor.rssMb.median}); ` +
      `default capacity: ${result.defaultCapacity} tenants awake or paused (1 per ${result.budgetPerTenantMb} MB of ${result.availableMemoryMb} MB available)`,
  );
  console.log(JSON.stringify(result, null, 2));
  if (process.env['BENCH_NO_WRITE'] !== '1')
    await writeFile(
      join(PACKAGE_ROOT, 'bench', 'results', 'memory.json'),
      `${JSON.stringify(result, null, 2)}\n`,
    );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
