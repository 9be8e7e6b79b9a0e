import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeArgs, PACKAGE_ROOT } from '../../common/entry-points.js';
import { descendantsOf, waitForExit } from '../helpers/processes.js';

const ANY_PORTS = [
  'temporal',
  'ui',
  'redis',
  's3',
  'dynamodb',
  'router',
  'admin',
  'gateway',
  'gateway-metrics',
  'worker-metrics',
].flatMap((name) => [`--${name}-port`, '0']);

/** Runs `clawfleet dev ...` the way `npm run dev` does, capturing its output. */
function clawfleet(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, nodeArgs('cli/main', ...args), {
    cwd: PACKAGE_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

async function waitForOutput(
  run: { child: ChildProcess; output: () => string },
  pattern: RegExp,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(run.output())) {
    if (run.child.exitCode !== null) throw new Error(`clawfleet dev exited early:\n${run.output()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('clawfleet dev', function () {
  this.timeout(240_000);
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-dev-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints the status table with every component up, and Ctrl-C stops everything with no orphan processes', async () => {
    const run = clawfleet(['dev', '--data-dir', dataDir, ...ANY_PORTS]);
    try {
      await waitForOutput(run, /Press Ctrl-C to stop everything/, 200_000);
      const table = run.output();
      for (const component of [
        'temporal',
        'web ui',
        'redis',
        's3',
        'dynamodb',
        'worker',
        'router',
        'admin api',
      ])
        assert.match(table, new RegExp(`^${component}\\s+\\S+.*\\bup\\b`, 'm'), `${component} row is up`);
      // Sandboxed unless the operator said otherwise, and the table says which.
      assert.match(table, /^tenant sandbox\s+uid \d+\+slot\s+on$/m);
      const uiUrl = /^web ui\s+(\S+)/m.exec(table)![1]!;
      assert.equal((await fetch(uiUrl)).status, 200, 'the Web UI answers at the printed URL');

      const children = await descendantsOf(run.child.pid!);
      assert.ok(
        children.length >= 4,
        `expected temporal, redis, worker and router children, got ${children.length}`,
      );
      run.child.kill('SIGINT');
      assert.equal(await exitOf(run.child), 0, run.output());
      assert.deepEqual(await waitForExit(children, 5_000), [], 'every process the stack started is gone');
      assert.match(run.output(), /stopped cleanly/);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  });

  it('fails in one actionable line when TEMPORAL_CLI points at a missing binary', async () => {
    const run = clawfleet(['dev', '--data-dir', dataDir, ...ANY_PORTS], {
      ...process.env,
      TEMPORAL_CLI: '/nonexistent/temporal',
    });
    const code = await exitOf(run.child);
    assert.notEqual(code, 0);
    const errorLines = run
      .output()
      .split('\n')
      .filter((line) => line.startsWith('clawfleet:'));
    assert.equal(errorLines.length, 1, run.output());
    assert.match(
      errorLines[0]!,
      /TEMPORAL_CLI=\/nonexistent\/temporal does not exist.*Point TEMPORAL_CLI at/,
    );
  });

  it('documents its flags in --help', async () => {
    const run = clawfleet(['dev', '--help']);
    assert.equal(await exitOf(run.child), 0);
    for (const flag of [
      '--data-dir',
      '--reset',
      '--temporal-port',
      '--ui-port',
      '--router-port',
      '--admin-port',
      '--worker-metrics-port',
      '--otlp',
    ])
      assert.ok(run.output().includes(flag), flag);
  });
});
