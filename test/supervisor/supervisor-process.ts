/**
 * Runs `supervisor/main.ts` as a real child process, the way a runtime launches a
 * tenant: a spec file, secrets in a mode-700 directory, SIGTERM to stop.
 * Tests talk to it over HTTP only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PodSecrets, SupervisorSpec } from '../../supervisor/supervisor-config.js';
import { nodeArgs, PACKAGE_ROOT } from '../../common/entry-points.js';

export type SpecInput = Omit<
  SupervisorSpec,
  'crashLoop' | 'readyTimeoutMs' | 'shutdownGraceMs' | 'snapshotReserveMs' | 'logLevel'
> &
  Partial<
    Pick<
      SupervisorSpec,
      'crashLoop' | 'readyTimeoutMs' | 'shutdownGraceMs' | 'snapshotReserveMs' | 'logLevel'
    >
  >;

export interface SupervisorProcess {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  /** Calls the API with the supervisor token unless `token` is given (null: no header). */
  api(path: string, init?: { method?: string; body?: string; token?: string | null }): Promise<Response>;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<number | string>;
  /** SIGTERM and wait; SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<number | string>;
}

export async function startSupervisor(
  dir: string,
  spec: SpecInput,
  secrets: PodSecrets,
): Promise<SupervisorProcess> {
  const secretsDir = join(dir, 'secrets');
  await mkdir(secretsDir, { recursive: true, mode: 0o700 });
  for (const [name, value] of Object.entries(secrets))
    await writeFile(join(secretsDir, name), value, { mode: 0o600 });
  const specPath = join(dir, 'spec.json');
  await writeFile(specPath, JSON.stringify({ ...spec, secretsDir }, null, 2));
  const child = spawn(process.execPath, nodeArgs('supervisor/main', specPath), {
    cwd: PACKAGE_ROOT,
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], LANG: 'C.UTF-8' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const url = `http://${spec.listen.host}:${spec.listen.port}`;
  const api: SupervisorProcess['api'] = (path, init = {}) => {
    const token = init.token === undefined ? secrets.supervisorToken : init.token;
    return fetch(`${url}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(token !== null && token !== undefined ? { authorization: `Bearer ${token}` } : {}),
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`supervisor exited before listening:\n${log.slice(-3000)}`);
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`supervisor not listening within 30 s:\n${log.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async (timeoutMs = 90_000) => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return { url, child, output: () => log, api, exited, stop };
}

/** Polls `probe` until it returns a value other than undefined. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sweeps use the runtime's own /proc scan: what a test checks is what the runtime kills. */
export { processesMentioning } from '../../local/process-sweep.js';
