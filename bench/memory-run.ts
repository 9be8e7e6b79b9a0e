/**
 * One `bench:memory` run: boot `openclaw gateway run` with a tenant's config
 * and trimmed boot against the fake model and Telegram Bot API, send TURNS
 * Telegram messages (each waits for its reply), settle, and read the tree's
 * memory. The `retire` variant then asks the gateway to retire its idle worker
 * threads (supervisor/worker-retirement.ts) and reads it again. Every variant
 * ends with one more turn, timed, whose reply must arrive: what retiring costs
 * the next message.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../common/entry-points.js';
import type { OpenClawInstall } from '../dev/openclaw-install.js';
import { freePort } from '../dev/ports.js';
import type { FakeLlm } from '../fakes/fake-llm.js';
import { telegramUpdate, type FakeTelegram } from '../fakes/fake-telegram.js';
import { buildOpenClawConfig, OPENCLAW_SECRET_ENV } from '../supervisor/openclaw-config.js';
import { trimmedBootEnv } from '../supervisor/trimmed-boot.js';
import { retireIdleWorkers, retireIdleWorkersFlags } from './worker-retirement.js';
import { TIER_MEMORY } from '../runtime/tier-memory.js';
import { heapReports, treeMemory, type HeapReport, type ProcessMemory } from './memory-probe.js';
import { pollUntil } from './stats.js';
import { bareGatewayEnv } from '../dev/bare-gateway-env.js';

export const TURNS = Number(process.env['BENCH_TURNS'] ?? 20);
/** After the last reply: OpenClaw's post-turn work (memory index, session writes) and a GC or two (BENCH_SETTLE_MS). */
const SETTLE_MS = Number(process.env['BENCH_SETTLE_MS'] ?? 10_000);
/** After the retire signal: workers end asynchronously (native close, custody release). */
const RETIRE_SETTLE_MS = Number(process.env['BENCH_RETIRE_SETTLE_MS'] ?? 5_000);
const BOT_TOKEN = '123456:bench-memory';
export const VARIANTS = ['default', 'tuned', 'retire'] as const;
export type Variant = (typeof VARIANTS)[number];

export interface Snapshot {
  readonly processes: ProcessMemory[];
  readonly heaps: HeapReport[];
}

export interface Run extends Snapshot {
  readonly readyMs: number;
  /** Before the retire signal (the same as the run's own figures for the other variants). */
  readonly settled: Snapshot;
  /** The turn after the measurement: webhook to the bot's reply. */
  readonly nextTurnMs: number;
  /** The tree after that turn (workers started again on demand). */
  readonly afterNextTurn: Snapshot;
}

const snapshot = async (pid: number, probeDir: string): Promise<Snapshot> => ({
  processes: await treeMemory(pid),
  heaps: await heapReports(probeDir),
});

export async function run(
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
      ...(variant === 'default' ? {} : tier.env),
      // An experiment's allocator settings (e.g. glibc.malloc.trim_threshold), for the tuned and retire variants.
      ...(variant !== 'default' && process.env['BENCH_GLIBC_TUNABLES']
        ? { GLIBC_TUNABLES: process.env['BENCH_GLIBC_TUNABLES'] }
        : {}),
      NODE_OPTIONS: probe,
      HEAP_PROBE_DIR: probeDir,
      OPENCLAW_GATEWAY_TOKEN: 'bench-memory-token-bench-memory-token',
      [OPENCLAW_SECRET_ENV.modelToken]: 'unused',
      [OPENCLAW_SECRET_ENV.telegramBotToken]: BOT_TOKEN,
      [OPENCLAW_SECRET_ENV.telegramWebhookSecret]: webhookSecret,
    };
    const started = Date.now();
    const v8Flags = variant === 'default' ? [] : tier.v8Flags;
    const preload = variant === 'retire' ? retireIdleWorkersFlags() : [];
    const child = spawn(install.node, [...v8Flags, ...preload, install.entry, 'gateway', 'run'], {
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
      const turn = async (n: number) => {
        const replies = () =>
          telegram.callsFor(BOT_TOKEN, 'sendMessage').filter((c) => c.params['chat_id'] == chatId);
        const before = replies().length;
        const sent = Date.now();
        const response = await fetch(webhook, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': webhookSecret },
          body: JSON.stringify(telegramUpdate({ updateId: n, chatId, text: `turn ${n}: remember ${n * 7}` })),
        });
        if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
        await pollUntil(`reply ${n}`, 120_000, 50, () => Promise.resolve(replies().length > before));
        return Date.now() - sent;
      };
      for (let n = 1; n <= TURNS; n++) await turn(n);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const settled = await snapshot(child.pid!, probeDir);
      let measured = settled;
      if (variant === 'retire') {
        if (!retireIdleWorkers(child.pid!)) throw new Error(`gateway gone before the retire signal:\n${log}`);
        await new Promise((resolve) => setTimeout(resolve, RETIRE_SETTLE_MS));
        measured = await snapshot(child.pid!, probeDir);
      }
      const nextTurnMs = await turn(TURNS + 1);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const afterNextTurn = await snapshot(child.pid!, probeDir);
      return { ...measured, readyMs, settled, nextTurnMs, afterNextTurn };
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
