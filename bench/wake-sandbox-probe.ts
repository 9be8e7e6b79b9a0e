/**
 * `npm run bench:wake-sandbox-probe`: why a sandboxed cold wake is slower
 * than an unsandboxed one (issue 19). One sandboxed fleet and one without
 * the sandbox; the same tenant is woken cold on each in alternation, and
 * around every sandboxed wake the probe reads, directly:
 *   - the tenant cgroup's CPU throttling (cpu.stat nr_throttled, throttled_time) and its memory
 *     cgroup's limit hits and major faults (memory.failcnt, memory.stat);
 *   - the host's CPU time outside the tenant's processes during the wake, by process (a pre-built
 *     sandbox or spare disk image built in parallel would show here);
 *   - whether OpenClaw inside sees the shared compile cache (its NODE_COMPILE_CACHE through its
 *     own root, /proc/<pid>/root);
 * plus the phases of each wake (wake-trace.ts). `BENCH_RUNS` wakes per fleet (default 3).
 * Settings for the sandboxed fleet come from the environment as usual (e.g. CLAWFLEET_LOCAL_SANDBOX_CPU).
 */
import { existsSync } from 'node:fs';
import { lstat, readdir, readFile, unlink } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { ensureOpenClaw } from '../dev/openclaw-install.js';
import { telegramUpdate } from '../fakes/fake-telegram.js';
import { compileCacheDir } from '../supervisor/trimmed-boot.js';
import type { Fleet } from '../test/local/fleet.js';
import type { FleetRouter } from '../test/local/fleet-router.js';
import { linkCompileCache } from '../local/sandbox/compile-cache-links.js';
import { pollUntil, quantile } from './stats.js';
import { phasesOf, traceWake } from './wake-trace.js';
import { startSandboxPair } from './wake-sandbox.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const TENANT = 'probe-wake';
const TICKS_PER_S = 100;

type Counters = Record<string, number>;

async function keyValues(file: string): Promise<Counters> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return Object.fromEntries(
    text
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ') as [string, string])
      .map(([k, v]) => [k, Number(v)]),
  );
}

/** CPU ticks (utime + stime) of every process on the host, by pid, with its command line's head. */
async function hostProcesses(): Promise<Map<number, { ticks: number; name: string }>> {
  const rows = new Map<number, { ticks: number; name: string }>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.length < 13) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const name = cmdline.split('\0').filter(Boolean).slice(0, 3).join(' ').slice(0, 90);
    rows.set(Number(entry), { ticks: Number(fields[11]) + Number(fields[12]), name });
  }
  return rows;
}

async function subject(fleet: Fleet, router: FleetRouter) {
  const { webhookSecret } = await fleet.registerTenant(TENANT);
  let updateId = 1;
  const describe = () => fleet.tenants.describe(TENANT);
  const wake = async (sandboxed: boolean) => {
    const before = (await describe().catch(() => null))?.deliveredCount ?? 0;
    const procsBefore = await hostProcesses();
    const posted = Date.now();
    const response = await router.telegram(
      TENANT,
      webhookSecret,
      telegramUpdate({ updateId: updateId++, text: `probe ${updateId}` }),
    );
    if (response.status !== 200) throw new Error(`router answered ${response.status}`);
    let cgroupCpu: string | undefined;
    let cgroupMemory: string | undefined;
    let first: Counters = {};
    let cacheSeen: string | undefined;
    await pollUntil('the durable ack', 600_000, 250, async () => {
      const sandbox = sandboxed ? fleet.adapters.localRuntime?.sandboxOf(TENANT) : undefined;
      if (sandbox && !cgroupCpu) {
        cgroupCpu = sandbox.cgroup.dir('cpu');
        cgroupMemory = sandbox.cgroup.dir('memory');
        first = await keyValues(join(cgroupCpu, 'cpu.stat'));
      }
      if (sandbox && cacheSeen === undefined)
        cacheSeen = await compileCacheInside(await sandbox.cgroup.pids());
      // A loaded host times queries out now and then: the next poll asks again.
      return ((await describe().catch(() => null))?.deliveredCount ?? before) > before;
    });
    const ms = Date.now() - posted;
    const procsAfter = await hostProcesses();
    const tenantPids = new Set(await fleet.tenantProcesses(TENANT));
    const cpu = cgroupCpu ? await keyValues(join(cgroupCpu, 'cpu.stat')) : {};
    const memory = cgroupMemory ? await keyValues(join(cgroupMemory, 'memory.stat')) : {};
    const failcnt = cgroupMemory
      ? await readFile(join(cgroupMemory, 'memory.failcnt'), 'utf8').catch(() => '?')
      : '-';
    const others = [...procsAfter]
      .filter(([pid]) => !tenantPids.has(pid) && pid !== process.pid)
      .map(([pid, p]) => ({ pid, name: p.name, ticks: p.ticks - (procsBefore.get(pid)?.ticks ?? 0) }))
      .filter((p) => p.ticks > 0)
      .sort((a, b) => b.ticks - a.ticks);
    const tenantTicks = [...tenantPids].reduce(
      (sum, pid) => sum + (procsAfter.get(pid)?.ticks ?? 0) - (procsBefore.get(pid)?.ticks ?? 0),
      0,
    );
    const trace = await traceWake({
      client: fleet.client,
      tenantId: TENANT,
      tenantDir: fleet.tenantDir(TENANT),
      posted,
      recorded: posted + ms,
    });
    const phases = phasesOf(trace);
    console.log(`  wake ${(ms / 1000).toFixed(2)} s, load ${loadavg()[0]!.toFixed(1)}`);
    console.log(
      `  phases (s): ${Object.entries(phases)
        .map(([k, v]) => `${k} ${(v / 1000).toFixed(2)}`)
        .join(', ')}`,
    );
    console.log(`  tenant CPU ${(tenantTicks / TICKS_PER_S).toFixed(1)} s`);
    if (sandboxed) {
      const d = (k: string) => (cpu[k] ?? 0) - (first[k] ?? 0);
      console.log(
        `  cpu.stat: periods ${d('nr_periods')}, throttled ${d('nr_throttled')}, throttled_time ${(d('throttled_time') / 1e9).toFixed(2)} s; memory.failcnt ${failcnt.trim()}, pgmajfault ${memory['total_pgmajfault']}, cache ${Math.round((memory['total_cache'] ?? 0) / 2 ** 20)} MiB, rss ${Math.round((memory['total_rss'] ?? 0) / 2 ** 20)} MiB`,
      );
      console.log(`  compile cache inside: ${cacheSeen}`);
    }
    const otherTotal = others.reduce((s, p) => s + p.ticks, 0);
    console.log(
      `  host CPU outside the tenant ${(otherTotal / TICKS_PER_S).toFixed(1)} s; top: ${others
        .slice(0, 6)
        .map((p) => `${(p.ticks / TICKS_PER_S).toFixed(1)} s ${p.name}`)
        .join(' | ')}`,
    );
    return { ms, cpuS: tenantTicks / TICKS_PER_S };
  };
  const sleepTenant = async () => {
    await fleet.tenants.sleep(TENANT);
    await pollUntil(
      'sleep',
      120_000,
      100,
      async () => (await describe().catch(() => null))?.phase === 'asleep',
    );
  };
  return { wake, sleepTenant };
}

/**
 * The sandbox uids' links into the shared compile cache (compile-cache-links.ts) removed, as before they
 * existed: the next sandboxed boot (its pre-built sandbox linked when it was built) compiles without the cache.
 */
async function unlinkCompileCache(cacheDir: string): Promise<void> {
  for (const name of await readdir(cacheDir)) {
    const path = join(cacheDir, name);
    if (!name.endsWith(`-${process.getuid!()}`) && (await lstat(path)).isSymbolicLink()) await unlink(path);
  }
}

/** Whether OpenClaw's process inside sees its NODE_COMPILE_CACHE, and how many entries it holds there. */
async function compileCacheInside(pids: number[]): Promise<string | undefined> {
  for (const pid of pids) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes('openclaw')) continue;
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    const dir = environ
      .split('\0')
      .find((e) => e.startsWith('NODE_COMPILE_CACHE='))
      ?.slice('NODE_COMPILE_CACHE='.length);
    if (!dir) continue;
    const inside = `/proc/${pid}/root${dir}`;
    if (!existsSync(inside)) return `${dir}: missing inside (pid ${pid})`;
    const uid = /Uid:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1];
    const own = (await readdir(inside)).filter((name) => name.endsWith(`-${uid}`));
    const entries = await Promise.all(own.map((name) => readdir(join(inside, name)).then((e) => e.length)));
    return `uid ${uid}: ${own.map((name, i) => `${name} (${entries[i]} entries)`).join(', ') || 'no directory of its own'}`;
  }
  return undefined;
}

async function main(): Promise<void> {
  const pair = await startSandboxPair();
  const { fleet: boxedFleet, router: boxedRouter } = pair.boxed;
  const { fleet: plainFleet, router: plainRouter } = pair.plain;
  try {
    const boxed = await subject(boxedFleet, boxedRouter);
    const plain = await subject(plainFleet, plainRouter);
    const cacheDir = compileCacheDir(
      (await ensureOpenClaw({ cacheDir: boxedFleet.config.common.cacheDir })).entry,
    );
    console.log('warm-up, sandboxed:');
    await boxed.wake(true);
    await boxed.sleepTenant();
    console.log('warm-up, unsandboxed:');
    await plain.wake(false);
    await plain.sleepTenant();
    // on: sandboxed with the compile cache linked for its uid (the fix); unlinked: as before the fix; off: no sandbox.
    const results = { on: [] as number[], unlinked: [] as number[], off: [] as number[] };
    const cpu = { on: [] as number[], unlinked: [] as number[], off: [] as number[] };
    for (let run = 1; run <= RUNS; run++) {
      for (const which of (['on', 'unlinked', 'off'] as const).toSorted(() => Math.random() - 0.5)) {
        console.log(`round ${run}, ${which}:`);
        if (which === 'unlinked') await unlinkCompileCache(cacheDir);
        if (which === 'on')
          for (const warm of boxedFleet.adapters.localRuntime?.prebuiltSandboxes() ?? [])
            await linkCompileCache(cacheDir, warm.sandbox.identity.uid); // built after an unlinking: linked again
        const subjectOf = which === 'off' ? plain : boxed;
        const { ms, cpuS } = await subjectOf.wake(which !== 'off');
        results[which].push(ms);
        cpu[which].push(cpuS);
        await subjectOf.sleepTenant();
      }
    }
    const fmt = (values: number[]) => values.map((v) => (v / 1000).toFixed(2)).join(', ');
    for (const which of ['on', 'unlinked', 'off'] as const)
      console.log(
        `${which}: wake ${fmt(results[which])} s (median ${(quantile(results[which], 0.5) / 1000).toFixed(2)}); tenant CPU ${cpu[which].map((v) => v.toFixed(1)).join(', ')} s (median ${quantile(cpu[which], 0.5).toFixed(1)})`,
      );
    console.log(
      `paired on − off: ${results.on.map((v, i) => ((v - results.off[i]!) / 1000).toFixed(2)).join(', ')} s`,
    );
    console.log(
      `paired unlinked − off: ${results.unlinked.map((v, i) => ((v - results.off[i]!) / 1000).toFixed(2)).join(', ')} s`,
    );
  } finally {
    await pair.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
