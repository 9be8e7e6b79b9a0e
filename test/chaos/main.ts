/**
 * `npm run chaos`: the full chaos run (defaults: 3 tenants, 500 messages,
 * 12 kills over 12 minutes), replayable with `--seed`; writes its summary to
 * bench/results/chaos.json. Options: --seed n --tenants n --messages n
 * --kills n --span-min n --budget-min n --out path, --kinds a,b (kill only
 * these kinds), --routers n (router processes on the port; 2), --keep (leave the stack's data dir and logs in place) and
 * --port-base n (the tenants' first port).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { KILL_KINDS, type KillKind } from './kills.js';
import { runChaos } from './run.js';
import { summary } from './summary.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    tenants: { type: 'string', default: '3' },
    messages: { type: 'string', default: '500' },
    kills: { type: 'string', default: '12' },
    'span-min': { type: 'string', default: '12' },
    /** Send no new message after this many minutes (0: no limit); the JSON says how many were sent. */
    'budget-min': { type: 'string', default: '0' },
    out: { type: 'string', default: 'bench/results/chaos.json' },
    kinds: { type: 'string', default: '' },
    keep: { type: 'boolean', default: false },
    /** Router processes on the public port (1: a lone router, restarted after its kill). */
    routers: { type: 'string', default: '2' },
    /** First port of the tenants' slots: two runs on one host need different ones. */
    'port-base': { type: 'string', default: '27000' },
  },
});
function kindsOf(list: string): KillKind[] {
  const kinds = list.split(',').filter(Boolean);
  const unknown = kinds.filter((k) => !(KILL_KINDS as readonly string[]).includes(k));
  if (unknown.length)
    throw new Error(`unknown kill kind ${unknown.join(', ')}; kinds: ${KILL_KINDS.join(', ')}`);
  return kinds as KillKind[];
}

const loadBefore = loadavg();
const started = Date.now();
const verdict = await runChaos({
  seed: Number(values.seed),
  tenants: Number(values.tenants),
  messages: Number(values.messages),
  kills: Number(values.kills),
  spanMs: Number(values['span-min']) * 60_000,
  portBase: Number(values['port-base']), // 27000: beside a short run in `npm test`
  kinds: kindsOf(values.kinds),
  routers: Number(values.routers),
  keepDataDir: values.keep,
  ...(Number(values['budget-min']) > 0 && { trafficBudgetMs: Number(values['budget-min']) * 60_000 }),
});
const result = {
  ...summary(verdict),
  run: {
    at: new Date(started).toISOString(),
    wallSeconds: Math.round((Date.now() - started) / 1000),
    args: values,
    loadAverage: { before: loadBefore.map((l) => +l.toFixed(2)), after: loadavg().map((l) => +l.toFixed(2)) },
  },
};
console.log(JSON.stringify(result, null, 2));
const seconds = (ms: number | null) => (ms === null ? '-' : (ms / 1000).toFixed(1));
console.log(
  `baseline (${result.baseline.turns} kill-free chat turns): answered ${seconds(result.baseline.turnMs)} s, ` +
    `reached the model ${seconds(result.baseline.reachModelMs)} s after sending`,
);
console.log(
  `one cold wake (each tenant's first message, alone): reached the model ` +
    `${seconds(result.coldWake.medianReachedModelMs)} s, answered ${seconds(result.coldWake.medianAnsweredMs)} s (medians)`,
);
for (const [kind, k] of Object.entries(result.kills.recoveryByKind))
  console.log(
    `${kind}: ${k.count} kills; medians: reached the model ${seconds(k.medianReachedModelMs)} s` +
      ('medianReachedModelOverColdWakeMs' in k
        ? ` (${seconds(k.medianReachedModelOverColdWakeMs ?? null)} s over one cold wake)`
        : '') +
      `, answered ${seconds(k.medianAnsweredMs)} s (${seconds(k.medianAnsweredOverBaselineMs)} s over the baseline)`,
  );
await mkdir(dirname(values.out), { recursive: true });
await writeFile(values.out, JSON.stringify(result, null, 2) + '\n');
console.log(`written to ${values.out}`);
process.exit(result.ok ? 0 : 1);
