/**
 * `npm run bench:probe`: what one `GET /activity` costs the host, on a real
 * supervisor with the real OpenClaw (fake LLM and Telegram), idle after one
 * Telegram turn and with one reminder scheduled, so every query has rows.
 *
 *   (a) `BENCH_PROBES` probes one after another (default 20);
 *   (b) `BENCH_BURST` probes at once (default 8: the sleep-candidate search's
 *       concurrency), as when a burst of wakes probes a full host.
 *
 * Per probe: latency at the client; CPU seconds of the supervisor including
 * the children it waited for (/proc/<pid>/stat utime+stime+cutime+cstime);
 * peak resident memory added (processes the supervisor started, summed per
 * sample every 10 ms, plus the supervisor's own growth); processes started.
 * Prints medians with min–max, and CPU of (a) as a mean: /proc counts it in
 * 10 ms ticks. Run it on old code from a worktree to compare.
 */
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { promisify } from 'node:util';
import { telegramUpdate } from '../fakes/fake-telegram.js';
import { startOpenClawSuite, type OpenClawSupervisor } from '../test/supervisor/openclaw-supervisors.js';
import { cpuSeconds, rssBytes, watchNewProcesses } from '../test/supervisor/process-watch.js';

const PROBES = Number(process.env['BENCH_PROBES'] ?? 20);
const BURST = Number(process.env['BENCH_BURST'] ?? 8);
const SAMPLE_MS = 10;

interface Cost {
  readonly ms: number;
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
  readonly processes: number;
  /** Answers that said busy: the tenant is idle throughout, so each is wrong. */
  readonly busy: number;
}

/** Runs `probes` concurrent probes and measures them together. */
async function measure(tenant: OpenClawSupervisor, probes: number): Promise<Cost> {
  const pid = tenant.process.child.pid!;
  const ownBefore = rssBytes(pid);
  let ownPeak = ownBefore;
  const own = setInterval(() => (ownPeak = Math.max(ownPeak, rssBytes(pid))), SAMPLE_MS);
  const watch = watchNewProcesses(pid, SAMPLE_MS);
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  const answers = await Promise.all(
    Array.from({ length: probes }, async () => {
      const response = await tenant.process.api('/activity');
      if (response.status !== 200) throw new Error(`/activity answered ${response.status}`);
      return (await response.json()) as { inFlightRuns: number };
    }),
  );
  const ms = performance.now() - started;
  watch.stop();
  clearInterval(own);
  return {
    ms,
    cpuSeconds: cpuSeconds(pid) - cpuBefore,
    peakRssBytes: watch.peakRssBytes + Math.max(0, ownPeak - ownBefore),
    processes: watch.spawned.length,
    busy: answers.filter((a) => a.inFlightRuns !== 0).length,
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
/** Median (min–max) of one measure over several runs. */
const spread = (costs: Cost[], key: keyof Cost, format: (v: number) => string) => {
  const values = costs.map((c) => c[key]);
  return `${format(median(values))} (${format(Math.min(...values))}–${format(Math.max(...values))})`;
};
const ms = (v: number) => `${v.toFixed(v < 10 ? 2 : 0)} ms`;
const mb = (v: number) => `${(v / 1024 / 1024).toFixed(1)} MB`;

async function main(): Promise<void> {
  const suite = await startOpenClawSuite('bench-probe', 'bench-probe');
  try {
    const tenant = await suite.launch('probe');
    // One turn, so the agent database and its sessions exist; one reminder, so cron has a job.
    const update = telegramUpdate({ updateId: 1, text: 'hello bench' });
    await tenant.process.api('/deliver/telegram', { method: 'POST', body: JSON.stringify(update) });
    await suite.telegram.waitFor((c) => c.method === 'sendMessage', 120_000);
    await promisify(execFile)(
      suite.install.node,
      [
        suite.install.entry,
        'cron',
        'add',
        '--at',
        '30m',
        '--name',
        'r',
        '--no-deliver',
        '--message',
        'stretch',
      ],
      { env: tenant.env, cwd: tenant.stateDir },
    );
    await new Promise((r) => setTimeout(r, 6_000)); // past the adoption grace: idle
    await measure(tenant, 1); // warm-up

    const loadBefore = loadavg()[0]!.toFixed(1);
    const single: Cost[] = [];
    for (let i = 0; i < PROBES; i++) single.push(await measure(tenant, 1));
    const bursts: Cost[] = [];
    for (let i = 0; i < 3; i++) bursts.push(await measure(tenant, BURST));

    const row = (label: string, text: string) => console.log(`    ${label.padEnd(16)} ${text}`);
    const cpu = (seconds: number) => ms(seconds * 1000);
    const load = `load average ${loadBefore} → ${loadavg()[0]!.toFixed(1)}`;
    console.log(`\nbench:probe on OpenClaw ${suite.install.version}, ${load}`);
    console.log(`(a) ${PROBES} probes one at a time, median (min–max) per probe:`);
    row('latency', spread(single, 'ms', ms));
    // /proc counts CPU in 10 ms ticks: the mean over all probes resolves what one probe cannot.
    row('CPU', `${cpu(single.reduce((sum, c) => sum + c.cpuSeconds, 0) / PROBES)} (mean)`);
    row('peak RSS added', spread(single, 'peakRssBytes', mb));
    row('processes', spread(single, 'processes', String));
    row('said busy', `${single.reduce((sum, c) => sum + c.busy, 0)} of ${PROBES}`);
    console.log(`(b) ${BURST} probes at once, 3 bursts, median (min–max) per burst:`);
    row('wall', spread(bursts, 'ms', ms));
    row('CPU', spread(bursts, 'cpuSeconds', cpu));
    row('peak RSS added', spread(bursts, 'peakRssBytes', mb));
    row('processes', spread(bursts, 'processes', String));
    row('said busy', `${bursts.reduce((sum, c) => sum + c.busy, 0)} of ${3 * BURST}`);
  } finally {
    await suite.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
