/**
 * The short fuzz run of `npm test` (`npm run fuzz` runs 10,000 per target):
 * generated hostile requests to the public router and to the admin API, with
 * a fixed seed that is printed, so a failure replays with
 * `npm run fuzz -- --seed <seed> --count <n>`. Each target must answer no
 * request with a 5xx, and change nothing (fuzz targets say what they check).
 */
import assert from 'node:assert/strict';
import { fuzzAdmin } from './admin-fuzz.js';
import type { FuzzSummary } from './hostile-requests.js';
import { fuzzRouter } from './router-fuzz.js';

const SEED = 20_261_206;
const COUNT = 1_000;

function check(summary: FuzzSummary): void {
  console.log(
    `      [fuzz] ${summary.target}: seed ${summary.seed}, ${summary.sent} requests, ${JSON.stringify(summary.byStatus)}`,
  );
  assert.equal(summary.serverErrors, 0, JSON.stringify(summary.failures, null, 2));
  assert.deepEqual(summary.changed, [], 'hostile input changed nothing');
  assert.equal(summary.sent, COUNT);
}

describe('fuzz: hostile input gets a 4xx and changes nothing', function () {
  this.timeout(600_000);

  it(`the public router: ${COUNT} generated requests`, async () => {
    check(await fuzzRouter(COUNT, SEED));
  });

  it(`the admin API: ${COUNT} generated requests`, async () => {
    check(await fuzzAdmin(COUNT, SEED));
  });
});
