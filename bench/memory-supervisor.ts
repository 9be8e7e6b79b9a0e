/**
 * bench:memory's second subject: one tenant supervisor (our own code) as a
 * warm process (`supervisor/main --warm`: every module loaded, waiting for its
 * claim), started with and without its V8 flags (common/entry-points.ts
 * SUPERVISOR_V8_FLAGS), from source under tsx as the tests run it. A claimed
 * supervisor serving a tenant holds a little more (its requests and the S3
 * client's buffers); the figure is its floor.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeArgs, PACKAGE_ROOT, SUPERVISOR_V8_FLAGS } from '../common/entry-points.js';
import { totals, treeMemory } from './memory-probe.js';
import { pollUntil } from './stats.js';

/** After it listens: its start-up garbage collected. */
const SETTLE_MS = 5_000;

export async function supervisorMemory(tuned: boolean): Promise<{ rssMb: number; pssMb: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'clawfleet-bench-supervisor-'));
  try {
    const socket = join(dir, 'claim.sock');
    await writeFile(join(dir, 'token'), 'bench-memory-claim-token-0123456789abcdef', { mode: 0o600 });
    const config = { socket, claimTokenFile: join(dir, 'token'), logLevel: 'warn' };
    await writeFile(join(dir, 'warm.json'), JSON.stringify(config), { mode: 0o600 });
    const args = nodeArgs('supervisor/main', '--warm', join(dir, 'warm.json'));
    const child = spawn(process.execPath, tuned ? args : args.slice(SUPERVISOR_V8_FLAGS.length), {
      cwd: PACKAGE_ROOT,
      env: { PATH: process.env['PATH'], LANG: 'C.UTF-8' },
      stdio: 'ignore',
    });
    try {
      await pollUntil('the warm supervisor to listen', 120_000, 50, () =>
        Promise.resolve(existsSync(socket)),
      );
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const { rssMb, pssMb } = totals(await treeMemory(child.pid!));
      return { rssMb, pssMb };
    } finally {
      child.kill('SIGTERM');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
