/**
 * A pre-spawned local tenant supervisor (warm-supervisors.ts). Node (tsx from
 * source) and every supervisor module are loaded before any tenant needs them, which is
 * most of a supervisor's start (~0.7 s of a cold wake on 2 cores). It waits
 * for one claim on stdin, a JSON line `{ specPath, logFile, secrets }`, then
 * writes its output to the tenant's log file and runs the tenant's supervisor
 * exactly as `supervisor/main.ts <spec.json>` would.
 *
 * Secrets arrive through the pipe: never argv, the environment or a file.
 * stdin closing before a claim ends the process; after the claim the same
 * pipe is the supervisor's parent watchdog (it drains when the runtime dies).
 */
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRootLogger } from '../common/logger.js';
import { runSupervisor } from '../supervisor/run-supervisor.js';
import { parseSpec, secretsFromValues } from '../supervisor/supervisor-config.js';

export interface WarmClaim {
  /** When the runtime handed the claim over (epoch ms; logged for bench:wake's trace). */
  readonly sentAtMs: number;
  readonly specPath: string;
  readonly logFile: string;
  readonly secrets: Readonly<Record<string, string | undefined>>;
}

function readClaim(): Promise<WarmClaim | null> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const end = buffered.indexOf('\n');
      if (end < 0) return;
      process.stdin.off('data', onData).off('end', onEnd);
      try {
        resolve(JSON.parse(buffered.slice(0, end)) as WarmClaim);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    };
    const onEnd = () => resolve(null);
    process.stdin.on('data', onData).once('end', onEnd);
  });
}

/**
 * Node cannot dup2, but open() always returns the lowest free descriptor: closing
 * fd 1 (then 2) and opening the log file puts the file there. Nothing else opens
 * files while the process idles on stdin; the result is checked all the same.
 */
function redirectOutput(logFile: string): void {
  for (const fd of [1, 2]) {
    closeSync(fd);
    const opened = openSync(logFile, 'a', 0o600);
    if (opened !== fd) throw new Error(`output redirection got descriptor ${opened}, not ${fd}`);
  }
}

async function main(): Promise<void> {
  const claim = await readClaim();
  if (!claim) return; // the pool closed before anyone needed us
  redirectOutput(claim.logFile);
  const spec = parseSpec(JSON.parse(await readFile(claim.specPath, 'utf8')));
  createRootLogger({ level: spec.logLevel, name: 'clawfleet-pod' })
    .child({ component: 'warm', tenantId: spec.tenantId })
    .info({ claimSentAtMs: claim.sentAtMs }, 'warm supervisor claimed');
  await runSupervisor({ spec, secrets: secretsFromValues(spec, claim.secrets) });
}

main().then(
  () => undefined,
  (err: unknown) => {
    console.error(`clawfleet warm supervisor: ${(err as Error).message}`);
    process.exit(2);
  },
);
