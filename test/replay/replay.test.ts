/**
 * Replays the recorded histories in this folder against the current workflow
 * code: a change that would make a running tenant workflow non-deterministic
 * fails here (tenant and fleet upgrade workflows). Re-record with
 * `npx tsx scripts/record-replay-histories.ts` (tenants) or
 * `npx tsx scripts/record-fleet-replay-histories.ts` (fleet upgrades)
 * only for an intentional change (see docs/lifecycle.md).
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { bundle, quietRuntime } from '../workflows/harness.js';

const DIR = fileURLToPath(new URL('.', import.meta.url));

describe('replay of recorded tenant workflow histories', function () {
  this.timeout(60_000);

  it('every recorded history replays deterministically against the current workflow code', async () => {
    quietRuntime();
    const files = (await readdir(DIR)).filter((f) => f.endsWith('.json')).sort();
    assert.ok(files.length >= 6, `expected recorded histories in ${DIR}, found ${files.length}`);
    const histories = await Promise.all(
      files.map(async (file) => ({
        workflowId: file.replace(/\.json$/, ''),
        history: historyFromJSON(JSON.parse(await readFile(`${DIR}/${file}`, 'utf8'))),
      })),
    );
    const workflowBundle = await bundle();
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories(
      { workflowBundle, replayName: 'tenant-workflow-replay' },
      histories,
    )) {
      replayed += 1;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    assert.equal(replayed, files.length);
    assert.deepEqual(failures, []);
  });
});
