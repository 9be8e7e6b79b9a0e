/**
 * `npm run fuzz [-- --count <n>] [--seed <n>]`: the full fuzz run, 10,000
 * generated hostile requests to the public router and, separately, to the
 * admin API (test/fuzz/fuzz.test.ts is the short run in `npm test`). Prints
 * the seed and a JSON summary per target; exits 1 if any request got a 5xx
 * or anything changed.
 */
import { parseArgs } from 'node:util';
import { fuzzAdmin } from './admin-fuzz.js';
import { fuzzRouter } from './router-fuzz.js';

const { values } = parseArgs({
  options: { count: { type: 'string', default: '10000' }, seed: { type: 'string' } },
});
const count = Number(values.count);
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
console.log(`fuzz: ${count} requests per target, seed ${seed}`);
let failed = false;
for (const run of [fuzzRouter, fuzzAdmin]) {
  const started = Date.now();
  const summary = await run(count, seed);
  console.log(JSON.stringify({ ...summary, seconds: Math.round((Date.now() - started) / 1000) }, null, 2));
  failed ||= summary.serverErrors > 0 || summary.changed.length > 0;
}
process.exit(failed ? 1 : 0);
