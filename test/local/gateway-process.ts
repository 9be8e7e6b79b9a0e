/**
 * Runs one real `openclaw gateway run` for a test, with everything it writes
 * (state dir, HOME, TMPDIR) inside one temp dir, and stops it the way the
 * supervisor must: SIGTERM, then wait. Unclean stops count towards
 * OpenClaw's crash-loop breaker (3 within 5 min), so SIGKILL is a last resort.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { openclawCommand, type OpenClawInstall } from '../../dev/openclaw-install.js';

export interface GatewayProcess {
  readonly stateDir: string;
  readonly child: ChildProcess;
  /** Seconds from spawn to the first `/readyz` 200. */
  readonly readySeconds: number;
  /** stdout+stderr so far (for failure messages). */
  output(): string;
  /** SIGTERM, wait for exit, then sweep leftovers. Idempotent. */
  stop(): Promise<StopResult>;
}

export interface StopResult {
  /** Seconds from SIGTERM to the gateway's exit. */
  readonly seconds: number;
  /** Child processes still alive after the gateway exited (killed by the sweep). */
  readonly orphans: number;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export async function makeStateDir(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'clawfleet-oc-'));
  await mkdir(join(root, 'state'), { mode: 0o700 });
  return root;
}

/** Pids of the gateway's direct children (its spawn broker runs in its own session, outside the group). */
async function childPids(pid: number): Promise<number[]> {
  try {
    const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return children.split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForReady(
  url: string,
  child: ChildProcess,
  output: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `openclaw gateway exited (${child.exitCode ?? child.signalCode}) before ready:\n${output().slice(-3000)}`,
      );
    }
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`openclaw gateway not ready within ${timeoutMs / 1000} s:\n${output().slice(-3000)}`);
}

export interface StartGatewayOptions {
  readonly install: OpenClawInstall;
  /** From makeStateDir(); `openclaw.json` is written to `<root>/state`. */
  readonly root: string;
  readonly config: Record<string, unknown>;
  readonly port: number;
  /** Secret values the config references by env name, plus OPENCLAW_GATEWAY_TOKEN. */
  readonly secretEnv: Record<string, string>;
  /** @default 120 s: 11–15 s on 2 idle cores, far more when the machine is busy. */
  readonly readyTimeoutMs?: number;
}

export async function startGateway(options: StartGatewayOptions): Promise<GatewayProcess> {
  const stateDir = join(options.root, 'state');
  const home = join(options.root, 'home');
  const tmp = join(options.root, 'tmp');
  await Promise.all([mkdir(home, { recursive: true }), mkdir(tmp, { recursive: true })]);
  await writeFile(join(stateDir, 'openclaw.json'), `${JSON.stringify(options.config, null, 2)}\n`, {
    mode: 0o600,
  });

  const [file, args] = openclawCommand(options.install, ['gateway', 'run']);
  const env: NodeJS.ProcessEnv = {
    // A minimal environment: nothing from the test runner leaks into the tenant.
    PATH: `${dirname(options.install.node)}:/usr/local/bin:/usr/bin:/bin`,
    HOME: home,
    TMPDIR: tmp,
    LANG: 'C.UTF-8',
    OPENCLAW_STATE_DIR: stateDir,
    ...options.secretEnv,
  };
  const started = Date.now();
  const child = spawn(file, args, {
    env,
    cwd: options.root,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopping: Promise<StopResult> | undefined;

  const stop = (): Promise<StopResult> => {
    stopping ??= (async () => {
      const pid = child.pid!;
      const children = await childPids(pid);
      const t0 = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((r) => setTimeout(() => r(true), 60_000)),
      ]);
      const seconds = (Date.now() - t0) / 1000;
      await new Promise((resolve) => setTimeout(resolve, 500)); // children exit right after their parent
      const orphans = children.filter(alive).length;
      // Last resort only: anything still alive now would be orphaned.
      for (const target of [-pid, ...children]) {
        try {
          if (target < 0 || alive(target)) process.kill(target, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      if (timedOut)
        throw new Error(`openclaw gateway ignored SIGTERM for 60 s; killed:\n${log.slice(-2000)}`);
      return { seconds, orphans };
    })();
    return stopping;
  };

  try {
    await waitForReady(
      `http://127.0.0.1:${options.port}/readyz`,
      child,
      () => log,
      options.readyTimeoutMs ?? 120_000,
    );
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  return { stateDir, child, readySeconds: (Date.now() - started) / 1000, output: () => log, stop };
}

export async function removeStateDir(root: string): Promise<void> {
  await rm(root, { recursive: true, force: true });
}
