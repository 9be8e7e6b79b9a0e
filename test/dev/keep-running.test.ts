/**
 * The dev stack's restart policy (dev/keep-running.ts) on a real process: the
 * first death within a minute is restarted at once (each second of it is a
 * second the messages behind a shared component wait), the next ones after a
 * growing backoff, so a component that keeps dying does not spin.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningComponent } from '../../dev/components/component.js';
import { keepRunning } from '../../dev/keep-running.js';
import { ManagedProcess } from '../../dev/managed-process.js';

describe('dev stack restart policy (keepRunning, a real child process)', function () {
  this.timeout(30_000);
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clawfleet-keep-running-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('restarts after the first SIGKILL without a backoff, and backs off from the second on', async () => {
    const starts: number[] = [];
    const reported: { line: string; at: number }[] = [];
    const start = (): Promise<RunningComponent> => {
      starts.push(Date.now());
      const child = ManagedProcess.start({
        name: 'sleeper',
        command: 'sleep',
        args: ['600'],
        logFile: join(dir, 'sleeper.log'),
      });
      return Promise.resolve({ rows: [], processes: [child], stop: () => child.stop(1_000) });
    };
    const kept = await keepRunning(start, {
      name: 'sleeper',
      report: (line) => reported.push({ line, at: Date.now() }),
      logHint: join(dir, 'sleeper.log'),
    });
    const restartGap = async (restarts: number) => {
      const victim = kept.processes[0]!.pid!;
      process.kill(victim, 'SIGKILL');
      while (starts.length < restarts + 1 || kept.processes[0]!.pid === victim)
        await new Promise((resolve) => setTimeout(resolve, 10));
      const death = reported.filter((r) => r.line.startsWith('sleeper killed by SIGKILL; restarting'))[
        restarts - 1
      ];
      assert.ok(death, reported.map((r) => r.line).join('\n'));
      return starts[restarts]! - death.at;
    };
    try {
      const first = await restartGap(1);
      assert.ok(first < 250, `first restart ${first} ms after the death was seen (no backoff)`);
      const second = await restartGap(2);
      assert.ok(second >= 450, `second restart ${second} ms after the death (backoff 500 ms)`);
    } finally {
      await kept.stop();
    }
  });
});
