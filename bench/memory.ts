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
 * every isolate's V8 heap (heap-probe.mjs, preloaded). Variants (`default`,
 * `tuned`, `retire`: tuned plus OpenClaw's idle workers retired, see
 * memory-run.ts) run in a random interleaved order; BENCH_VARIANTS picks some. Prints and writes (bench/results/memory.json)
 * median and interquartile range of each figure, the ratios to the first variant,
 * and the load average. BENCH_RUNS sets the runs per variant (3).
 */
import { writeFile } from 'node:fs/promises';
import { freemem, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../common/config.js';
import { PACKAGE_ROOT } from '../common/entry-points.js';
import { ensureOpenClaw } from '../dev/openclaw-install.js';
import { startFakeLlm } from '../fakes/fake-llm.js';
import { startFakeTelegram } from '../fakes/fake-telegram.js';
import { TIER_MEMORY } from '../runtime/tier-memory.js';
import { totals } from './memory-probe.js';
import { figures, heapMb, loadSummary, threadsOf } from './memory-figures.js';
import { run, TURNS, VARIANTS, type Run, type Snapshot, type Variant } from './memory-run.js';
import { summary } from './stats.js';
import { supervisorMemory } from './memory-supervisor.js';
import { BYTES_PER_TENANT, defaultCapacity } from '../runtime/capacity-gate.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
/** BENCH_VARIANTS=tuned,retire runs a subset (the first listed is the ratios' baseline). */
const SELECTED: readonly Variant[] = (process.env['BENCH_VARIANTS']?.split(',') as Variant[] | undefined) ?? [
  ...VARIANTS,
];

const describe = (s: Snapshot) => {
  const t = totals(s.processes);
  return `RSS ${t.rssMb} MB, PSS ${t.pssMb} MB, ${s.heaps.length} isolates, ${threadsOf(s)} threads`;
};

async function main(): Promise<void> {
  const install = await ensureOpenClaw({ cacheDir: loadConfig().common.cacheDir, report: console.log });
  const [llm, telegram] = await Promise.all([startFakeLlm(), startFakeTelegram()]);
  const order = SELECTED.flatMap((v) => Array.from({ length: RUNS }, () => v)).sort(
    () => Math.random() - 0.5,
  );
  const runs = Object.fromEntries(SELECTED.map((v) => [v, [] as Run[]])) as Record<Variant, Run[]>;
  const loads: number[] = [];
  // A boot that fails (on a loaded host OpenClaw's start-up state lease can time out) is retried once, and counted.
  const failures = Object.fromEntries(SELECTED.map((v) => [v, 0])) as Record<Variant, number>;
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
        `${i + 1}/${order.length} ${variant}: ${describe(result)} (anon ${t.pssAnonMb}, file ${t.pssFileMb}), ` +
          `V8 heap ${heapMb(result.heaps, (h) => h.heapTotal)} MB, ${result.processes.map((p) => `${p.name} ${p.pssMb}`).join(', ')}; ` +
          `settled ${describe(result.settled)}; next turn ${result.nextTurnMs} ms, then ${describe(result.afterNextTurn)}`,
      );
    }
  } finally {
    await Promise.all([llm.close(), telegram.close()]);
  }
  type Memory = { rssMb: number; pssMb: number };
  const supervisors: Record<'default' | 'tuned', Memory[]> = { default: [], tuned: [] };
  for (const variant of order)
    supervisors[variant === 'default' ? 'default' : 'tuned'].push(
      await supervisorMemory(variant !== 'default'),
    );
  const supervisor = (variant: 'default' | 'tuned') => ({
    rssMb: summary(supervisors[variant].map((s) => s.rssMb)),
    pssMb: summary(supervisors[variant].map((s) => s.pssMb)),
  });
  const byVariant = Object.fromEntries(SELECTED.map((v) => [v, figures(runs[v])])) as Record<
    Variant,
    ReturnType<typeof figures>
  >;
  const [baseline] = SELECTED;
  const shipped: Variant = SELECTED.includes('tuned') ? 'tuned' : SELECTED.at(-1)!;
  const ratio = (v: Variant, pick: (f: ReturnType<typeof figures>) => number) =>
    Number((pick(byVariant[v]) / pick(byVariant[baseline!])).toFixed(3));
  const tunedSupervisor = supervisor(shipped === 'default' ? 'default' : 'tuned');
  const awakeRssMb = byVariant[shipped].rssMb.median + tunedSupervisor.rssMb.median;
  const awakePssMb = byVariant[shipped].pssMb.median + tunedSupervisor.pssMb.median;
  const result = {
    runsPerVariant: RUNS,
    turns: TURNS,
    failedBoots: failures,
    loadAverage1m: loadSummary(loads),
    tunedSettings: { v8Flags: TIER_MEMORY.standard.v8Flags, env: TIER_MEMORY.standard.env },
    ...byVariant,
    baseline,
    rssRatio: Object.fromEntries(SELECTED.map((v) => [v, ratio(v, (f) => f.rssMb.median)])),
    pssRatio: Object.fromEntries(SELECTED.map((v) => [v, ratio(v, (f) => f.pssMb.median)])),
    supervisor: {
      ...(supervisors.default.length ? { default: supervisor('default') } : {}),
      ...(supervisors.tuned.length ? { tuned: supervisor('tuned') } : {}),
    },
    // One awake tenant as shipped (the tier's settings) plus its supervisor (medians).
    awakeVariant: shipped,
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
    `awake tenant (${shipped}): ${awakeRssMb} MB RSS, ${awakePssMb} MB PSS (OpenClaw ${byVariant[shipped].rssMb.median} + supervisor ${tunedSupervisor.rssMb.median}); ` +
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
