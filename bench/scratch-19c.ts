import { copyFile, mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { PodSpec } from '../activities/ports.js';
import { LocalRuntime } from '../local/local-runtime.js';
import type { Placement } from '../runtime/launch-plan.js';
import { PodLostRecorder } from '../test/helpers/runtime-contract.js';
import { startS3 } from '../test/helpers/s3.js';
import { testGrants } from '../test/helpers/snapshot-grants.js';
import { standInPlan, standInSpec } from '../test/local/stand-in-plan.js';
const s3 = await startS3('scratch');
const dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-scratch-'));
const grants = await testGrants(s3, join(dataDir, 'master.key'));
const install = join(dataDir, 'install', 'node_modules', 'openclaw');
await mkdir(install, { recursive: true });
const standIn = join(install, 'openclaw.mjs');
await copyFile(join(import.meta.dirname, '..', 'test', 'supervisor', 'stand-in-openclaw.mjs'), standIn);
const plan = standInPlan(grants);
const mk = (sandboxed: boolean, dir: string, portBase: number) =>
  new LocalRuntime({
    dataDir: dir,
    portBase,
    capacity: 2,
    warmSupervisors: 1,
    plan: async (pod: PodSpec, placement: Placement, rootDir: string) => {
      const p = await plan(pod, placement, rootDir);
      return { ...p, spec: { ...p.spec, openclaw: { ...p.spec.openclaw, entry: standIn } } };
    },
    events: new PodLostRecorder(),
    salvage: () => Promise.resolve(null),
    logger: pino({ level: 'silent' }),
    stopGraceMs: 10_000,
    ...(sandboxed && {
      sandbox: { uidBase: 390_000 + portBase, egressAllow: [new URL(s3.endpoint).host, '127.0.0.1:1'] },
    }),
  });
const rts = { a: mk(false, join(dataDir, 'a'), 26_000), b: mk(true, join(dataDir, 'b'), 26_100) };
for (const rt of Object.values(rts)) await rt.prewarm();
for (let run = 0; run < 4; run++)
  for (const [name, rt] of Object.entries(rts)) {
    const spec = standInSpec(`s-${name}-${run}`, 1);
    const t0 = Date.now();
    const h = await rt.launch(spec, {});
    const t1 = Date.now();
    await rt.stop(h, { graceMs: 5000 });
    if (run > 0) {
      const log = await readFile(
        join(dataDir, name, 'tenants', spec.tenantId, 'logs', 'supervisor.log'),
        'utf8',
      );
      const lines = log
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          try {
            return JSON.parse(l);
          } catch {
            return null;
          }
        })
        .filter(Boolean);
      console.log(
        name,
        run,
        'total',
        t1 - t0,
        lines
          .filter((l: any) => l.time <= t1 + 50)
          .map((l: any) => `${l.time - t0}:${l.msg}`)
          .join(' | '),
      );
    }
    await new Promise((r) => setTimeout(r, 3000));
  }
for (const rt of Object.values(rts)) await rt.close();
await s3.close();
process.exit(0);
