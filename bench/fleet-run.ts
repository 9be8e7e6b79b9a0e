/**
 * The `bench:fleet` run: a whole clawfleet on this machine (Temporal dev
 * server, redis-server, dynalite, s3rver, the real admin API, router, worker
 * and activities) with stand-in agents (fleet-stand-in.ts) in place of
 * OpenClaw. Tenants are registered through the admin API, then sleeping
 * tenants are woken by Telegram updates through the router at a fixed rate,
 * with hot-path updates to the awake ones. Wake-to-ack is the time from the
 * POST to the router until the stand-in supervisor received the update: all
 * of it is clawfleet's overhead (the stand-in launches in 5 ms).
 */
import { readFile } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Connection } from '@temporalio/client';
import { createAdminApp } from '../admin/wiring.js';
import { AdminTokenStore } from '../admin/token-store.js';
import { createRootLogger } from '../common/logger.js';
import { telegramUpdate } from '../fakes/telegram-update.js';
import { createDocumentClient } from '../registry/document-client.js';
import { SECRET_NAMES } from '../registry/secret-store.js';
import { hotPathRedis } from '../router/wiring.js';
import { SupervisorAgentClient } from '../runtime/supervisor-client.js';
import { wireAdapters } from '../worker/adapters.js';
import { tenantWorkflowId } from '../workflows/shared.js';
import { startFleetBase } from '../test/helpers/fleet-base.js';
import type { Fleet } from '../test/local/fleet.js';
import { startFleetRouter } from '../test/local/fleet-router.js';
import { freePort } from '../dev/ports.js';
import { RECOVERY_OPTIONS } from '../worker/worker-config.js';
import {
  installWorkerMetrics,
  scrapeWorkerMetrics,
  summariseBreakdowns,
  wakeBreakdown,
  WORKER_METRICS,
  type WakePart,
} from './fleet-breakdown.js';
import { percentiles, type FleetBenchOptions, type FleetBenchResult } from './fleet-result.js';

export { percentiles, WORKER_TUNING, type FleetBenchOptions, type FleetBenchResult } from './fleet-result.js';
import { StandInAgents } from './fleet-stand-in.js';
import { startUsageMeter } from './process-usage.js';
import { onboardTenants } from './fleet-onboarding.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runFleetBench(options: FleetBenchOptions): Promise<FleetBenchResult> {
  const log = options.log ?? (() => undefined);
  const metricsUrl = installWorkerMetrics(await freePort());
  const base = await startFleetBase('bench-fleet', {
    local: { warmSupervisors: 0 },
    common: { logLevel: 'warn' },
  });
  const agents = await StandInAgents.start();
  base.onCleanup(() => agents.close());
  try {
    const { config, env } = base;
    const logger = createRootLogger({ level: 'warn', name: 'bench-fleet' });
    const wired = await wireAdapters(config, logger, env.client);
    await base.runWorker(
      {
        ...wired,
        deps: {
          ...wired.deps,
          runtime: agents.runtime(),
          agent: new SupervisorAgentClient({ token: () => 'stand-in' }),
        },
      },
      { ...RECOVERY_OPTIONS, ...options.worker }, // as worker/main.ts runs it, plus what the run tries
    );
    const redis = hotPathRedis(config.redis.url);
    await redis.connect();
    base.onCleanup(() => Promise.resolve(redis.disconnect()));
    const connection = await Connection.connect({ address: env.address });
    base.onCleanup(() => connection.close());
    const admin = await createAdminApp({ config, logger, readiness: {}, connection, redis });
    base.onCleanup(() => admin.close());
    const tokens = new AdminTokenStore(createDocumentClient(base.dynamo.client), base.dynamo.tables.secrets);
    const { token } = await tokens.create('platform', 'bench');
    const router = await startFleetRouter({ ...base, client: env.client } as unknown as Fleet);
    base.onCleanup(() => router.close());

    // Onboarding: the admin API's create, as operators and billing systems call it.
    const ids = Array.from({ length: options.tenants }, (_, i) => `fb-${String(i).padStart(5, '0')}`);
    const onboarding = await onboardTenants(admin.app, token, ids, options.onboardingConcurrency ?? 8, log);
    log(`  onboarding: ${onboarding.perSecond.toFixed(1)} tenants/s`);
    const secrets = new Map<string, string>();
    for (const id of ids) secrets.set(id, await base.secrets.resolve(id, SECRET_NAMES.telegramWebhookSecret));

    // Load: cold wakes at a fixed rate, hot updates to tenants whose wake was acknowledged.
    const sentAt = new Map<number, { at: number; cold: boolean; minute: number }>();
    let updateId = 1;
    let refused = 0;
    const awake: string[] = [];
    const send = async (tenantId: string, cold: boolean, minute: number) => {
      const id = updateId++;
      sentAt.set(id, { at: Date.now(), cold, minute });
      const response = await router.telegram(
        tenantId,
        secrets.get(tenantId)!,
        telegramUpdate({ updateId: id, text: 'hi' }),
      );
      await response.arrayBuffer();
      if (response.status !== 200) {
        refused += 1;
        sentAt.delete(id);
      }
    };
    const wakes = Math.min(ids.length, Math.round(options.wakesPerMinute * options.minutes));
    const intervalMs = 60_000 / options.wakesPerMinute;
    const usageMeter = startUsageMeter();
    const loopDelay = monitorEventLoopDelay({ resolution: 20 });
    loopDelay.enable();
    const loadStart = Date.now();
    const inflight: Promise<void>[] = [];
    let hotTimer: NodeJS.Timeout | undefined;
    if (options.hotPerSecond > 0)
      hotTimer = setInterval(() => {
        const tenant = awake[Math.floor(Math.random() * awake.length)];
        if (tenant) inflight.push(send(tenant, false, Math.floor((Date.now() - loadStart) / 60_000)));
      }, 1000 / options.hotPerSecond);
    const coldIds = new Map<number, string>();
    const coldTenant = new Map<number, string>();
    for (let i = 0; i < wakes; i += 1) {
      const due = loadStart + i * intervalMs;
      if (due > Date.now()) await sleep(due - Date.now());
      const tenantId = ids[i]!;
      const id = updateId;
      coldIds.set(id, tenantId);
      coldTenant.set(id, tenantId);
      inflight.push(send(tenantId, true, Math.floor((Date.now() - loadStart) / 60_000)));
      // Promote acknowledged wakes to the hot set.
      for (const [cid, tid] of coldIds)
        if (agents.acked.has(cid)) {
          awake.push(tid);
          coldIds.delete(cid);
        }
      if (i % 100 === 0) log(`  wakes sent ${i}/${wakes}, awake ${agents.awake}, acked ${agents.acked.size}`);
    }
    clearInterval(hotTimer);
    const loadMs = Date.now() - loadStart;
    await Promise.all(inflight);
    // Drain: every accepted update should reach a stand-in.
    const deadline = Date.now() + 60_000;
    while ([...sentAt.keys()].some((id) => !agents.acked.has(id)) && Date.now() < deadline) await sleep(200);

    loopDelay.disable();
    const processes = usageMeter.stop(loadMs);

    const cold: number[] = [];
    const hot: number[] = [];
    const byMinute: number[][] = [];
    let lost = 0;
    for (const [id, sent] of sentAt) {
      const ackedAt = agents.acked.get(id);
      if (ackedAt === undefined) {
        lost += 1;
        continue;
      }
      const ms = ackedAt - sent.at;
      (sent.cold ? cold : hot).push(ms);
      if (sent.cold) (byMinute[sent.minute] ??= []).push(ms);
    }
    // History events of a woken tenant's current run (it holds one wake: every sleep continues as new).
    const sampleIds = ids.slice(0, Math.min(20, wakes));
    const events = await Promise.all(
      sampleIds.map(
        async (id) =>
          (await env.client.workflow.getHandle(tenantWorkflowId(id)).fetchHistory()).events?.length ?? 0,
      ),
    );
    // Where the sampled wakes' time went (their histories), and what the worker SDK saw.
    const acked = [...coldTenant].filter(([id]) => agents.acked.has(id) && sentAt.has(id));
    const every = Math.max(1, Math.floor(acked.length / (options.breakdownSamples ?? 60)));
    const parts: Record<WakePart, number>[] = [];
    const eventsToAck: number[] = [];
    for (const [id, tenantId] of acked.filter((_, i) => i % every === 0)) {
      const got = await wakeBreakdown(env.client, tenantId, sentAt.get(id)!.at, agents.acked.get(id)!).catch(
        () => null,
      );
      if (!got) continue;
      parts.push(got.parts);
      eventsToAck.push(got.events);
    }
    const scraped: Record<string, number> = metricsUrl
      ? await scrapeWorkerMetrics(metricsUrl).catch(() => ({}))
      : {};
    const worker: Record<string, number> = {};
    for (const k of WORKER_METRICS) if (scraped[k] !== undefined) worker[k] = scraped[k];
    const load = Number((await readFile('/proc/loadavg', 'utf8')).split(' ')[0]);
    const coldStats = percentiles(cold);
    return {
      tenants: ids.length,
      onboardingPerSecond: Math.round(onboarding.perSecond * 10) / 10,
      onboardingRetries: onboarding.retries,
      wakesPerMinuteTarget: options.wakesPerMinute,
      wakesPerMinute: Math.round((cold.length / loadMs) * 60_000),
      wakeOverheadP50Ms: coldStats.p50,
      wakeOverheadP99Ms: coldStats.p99,
      wakeByMinute: byMinute.map((m) => percentiles(m)),
      hot: percentiles(hot),
      lost,
      refused,
      historyEventsPerWake: percentiles(events).p50,
      historyEventsToAck: percentiles(eventsToAck).p50,
      breakdown: { samples: parts.length, parts: summariseBreakdowns(parts) },
      worker,
      eventLoopDelayMs: {
        p99: Math.round(loopDelay.percentile(99) / 1e6),
        max: Math.round(loopDelay.max / 1e6),
      },
      onboardingCpuMsPerTenant: onboarding.cpuMsPerTenant,
      processes,
      minutes: Math.round((loadMs / 60_000) * 100) / 100,
      loadAverage: load,
    };
  } finally {
    await base.cleanup();
  }
}
