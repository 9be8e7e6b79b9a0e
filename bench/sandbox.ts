/**
 * `npm run bench:sandbox`: what the local sandbox (local/sandbox/) adds to a
 * cold start, against the same start without it, in one run on this machine.
 *
 *   (a) unsandboxed: a LocalRuntime launch (real supervisor, stand-in OpenClaw, restore
 *       through a real snapshot grant from s3rver) until the supervisor reports ready;
 *   (b) the same launch with the sandbox on: cgroups, netns, egress sockets, bubblewrap,
 *       setpriv, the handed-in listening socket, restore through the egress.
 *
 * Runs alternate (a), (b), (a), … with a fresh tenant each, cold supervisors on both
 * sides (no warm pool: the sandbox turns it off). Prints medians, min–max, b − a and b/a.
 * Target (issue 19): b − a ≤ 100 ms.
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { PodSpec } from '../activities/ports.js';
import { LocalRuntime } from '../local/local-runtime.js';
import type { Placement } from '../runtime/launch-plan.js';
import { PodLostRecorder } from '../test/helpers/runtime-contract.js';
import { startS3 } from '../test/helpers/s3.js';
import { testGrants } from '../test/helpers/snapshot-grants.js';
import { standInPlan, standInSpec } from '../test/local/stand-in-plan.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 7);
const logger = pino({ level: 'silent' });

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const ms = (value: number) => `${value.toFixed(0)} ms`;
const range = (values: number[]) => `${ms(Math.min(...values))}–${ms(Math.max(...values))}`;

async function main(): Promise<void> {
  const s3 = await startS3('bench-sandbox');
  const dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-bench-sandbox-'));
  const grants = await testGrants(s3, join(dataDir, 'master.key'));
  // The stand-in in an install layout of its own, as the sandbox binds an install (not the repo's test dir).
  const install = join(dataDir, 'install', 'node_modules', 'openclaw');
  await mkdir(install, { recursive: true });
  const standIn = join(install, 'openclaw.mjs');
  await copyFile(join(import.meta.dirname, '..', 'test', 'supervisor', 'stand-in-openclaw.mjs'), standIn);
  const plan = standInPlan(grants);
  const runtime = (sandboxed: boolean, dir: string, portBase: number) =>
    new LocalRuntime({
      dataDir: dir,
      portBase,
      capacity: 2,
      warmSupervisors: 0,
      plan: async (pod: PodSpec, placement: Placement, rootDir: string) => {
        const planned = await plan(pod, placement, rootDir);
        return {
          ...planned,
          spec: { ...planned.spec, openclaw: { ...planned.spec.openclaw, entry: standIn } },
        };
      },
      events: new PodLostRecorder(),
      salvage: () => Promise.resolve(null),
      logger,
      stopGraceMs: 10_000,
      ...(sandboxed && {
        sandbox: { uidBase: 360_000, egressAllow: [new URL(s3.endpoint).host, '127.0.0.1:1'] },
      }),
    });
  const plain = runtime(false, join(dataDir, 'plain'), 25_000);
  const boxed = runtime(true, join(dataDir, 'boxed'), 25_100);
  const times = { plain: [] as number[], boxed: [] as number[] };
  try {
    for (let run = 0; run <= RUNS; run++) {
      for (const [name, subject] of [
        ['plain', plain],
        ['boxed', boxed],
      ] as const) {
        const spec = standInSpec(`bench-${name}-${run}`, 1);
        const started = performance.now();
        const handle = await subject.launch(spec, {});
        const elapsed = performance.now() - started;
        await subject.stop(handle, { graceMs: 10_000 });
        if (run > 0) times[name].push(elapsed); // run 0 warms both (tsx cache, page cache, netns creation)
      }
    }
  } finally {
    await Promise.all([plain.close(), boxed.close()]);
    await s3.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  const [a, b] = [median(times.plain), median(times.boxed)];
  console.log(`bench:sandbox, ${RUNS} alternating runs each, load average ${loadavg()[0]!.toFixed(1)}`);
  console.log(`  (a) launch to ready, unsandboxed: median ${ms(a)} (${range(times.plain)})`);
  console.log(`  (b) launch to ready, sandboxed:   median ${ms(b)} (${range(times.boxed)})`);
  console.log(`  b − a = ${ms(b - a)} (target ≤ 100 ms), b/a = ${(b / a).toFixed(2)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
