/**
 * Warms an OpenClaw install's V8 compile cache (supervisor/trimmed-boot.ts)
 * once, when the version is installed: one throwaway gateway boots to
 * `/readyz` with the tenants' own environment and config shape, then stops
 * with SIGTERM, and Node writes the code cache of everything it compiled on
 * the way. Tenants later only read it, so the first wake of every tenant
 * already skips compiling what this boot compiled.
 *
 * The cache is written to a staging directory and renamed into place, so a
 * crash mid-warm never leaves a half-filled cache that looks complete (a
 * missing cache costs speed, never correctness: Node falls back to compiling).
 */
import { spawn } from 'node:child_process';
import { access, chmod, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildOpenClawConfig } from '../supervisor/openclaw-config.js';
import { compileCacheDir, trimmedBootEnv } from '../supervisor/trimmed-boot.js';
import { freePort } from './ports.js';
import { bareGatewayEnv } from './bare-gateway-env.js';

/** Written after the entries were made world-readable (caches marked `.warmed` predate that and are redone). */
export const WARM_MARKER = '.warmed-readable';
const READY_POLL_MS = 100;

export interface WarmCompileCacheOptions {
  /** `node_modules/openclaw/openclaw.mjs` of the install. */
  readonly entry: string;
  /** Node that runs OpenClaw (the cache is per Node version). */
  readonly node: string;
  /** @default 5 min: the boot takes 11–50 s on a loaded 2-core host. */
  readonly timeoutMs?: number;
  readonly report?: (line: string) => void;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

export async function compileCacheIsWarm(entry: string): Promise<boolean> {
  return exists(join(compileCacheDir(entry), WARM_MARKER));
}

/** Boots one gateway into a scratch root with the cache pointed at `cacheDir`, until `/readyz`, then SIGTERM. */
async function bootOnce(options: WarmCompileCacheOptions, cacheDir: string): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'clawfleet-warm-'));
  try {
    const stateDir = join(root, 'state');
    await Promise.all(
      ['state/logs', 'home', 'tmp'].map((d) => mkdir(join(root, d), { recursive: true, mode: 0o700 })),
    );
    const port = await freePort();
    const config = buildOpenClawConfig({
      tenantId: 'compile-cache-warmup',
      paths: { workspaceDir: join(stateDir, 'workspace'), logFile: join(stateDir, 'logs', 'openclaw.log') },
      gateway: { host: '127.0.0.1', port },
      // Never called: readiness needs no model turn.
      provider: { name: 'warmup', baseUrl: 'http://127.0.0.1:9/v1', modelId: 'none' },
    });
    await writeFile(join(stateDir, 'openclaw.json'), JSON.stringify(config), { mode: 0o600 });
    const env = {
      ...bareGatewayEnv(options.node, root, stateDir),
      OPENCLAW_GATEWAY_TOKEN: 'compile-cache-warmup-token-never-used-for-anything',
      CLAWFLEET_MODEL_TOKEN: 'unused',
      ...trimmedBootEnv(options.entry),
      NODE_COMPILE_CACHE: cacheDir,
    };
    // Its own process group: OpenClaw's helper processes write cache entries too, and are waited for below.
    const child = spawn(options.node, [options.entry, 'gateway', 'run'], {
      env,
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + (options.timeoutMs ?? 5 * 60_000);
    try {
      for (;;) {
        if (child.exitCode !== null) throw new Error(`warm-up gateway exited (${child.exitCode}): ${stderr}`);
        if (Date.now() > deadline) throw new Error('warm-up gateway was not ready in time');
        const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ready) break;
        await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
      }
    } finally {
      // SIGTERM, never SIGKILL: Node persists the cache in its exit path.
      child.kill('SIGTERM');
      await exited;
      if (child.pid) await groupEnded(child.pid);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * The gateway's helper processes (its spawn broker) outlive it briefly and write their own cache entries on
 * exit: the first CI run on a fresh machine listed one's temporary file, which was renamed away before its
 * chmod (ENOENT). SIGTERM the rest of the group, then wait (at most 15 s) until none is left.
 */
async function groupEnded(pgid: number): Promise<void> {
  const alive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (alive()) process.kill(-pgid, 'SIGTERM');
  for (const deadline = Date.now() + 15_000; alive() && Date.now() < deadline;)
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
}

/**
 * Node writes cache entries mode 600; a sandboxed tenant runs under its own uid and
 * reads the install through a read-only mount, so the cache must be world-readable.
 * An entry gone between the listing and its chmod (a temporary file renamed) is skipped.
 */
async function makeWorldReadable(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await makeWorldReadable(path);
    else
      await chmod(path, 0o644).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
  }
}

/** One warm-up per install in this process; other processes race on the rename. */
const warming = new Map<string, Promise<boolean>>();

/** Warms `<install>/compile-cache` unless it already is; true when this call warmed it. */
export function warmCompileCache(options: WarmCompileCacheOptions): Promise<boolean> {
  const running = warming.get(options.entry);
  if (running) return running.then(() => false);
  const warm = warmOnce(options).finally(() => warming.delete(options.entry));
  warming.set(options.entry, warm);
  return warm;
}

async function warmOnce(options: WarmCompileCacheOptions): Promise<boolean> {
  if (await compileCacheIsWarm(options.entry)) return false;
  const target = compileCacheDir(options.entry);
  // Same depth as the target: portable entries are relative to the cache directory.
  const staging = `${target}.tmp-${process.pid}-${Date.now()}`;
  const started = Date.now();
  try {
    await bootOnce(options, staging);
    await makeWorldReadable(staging);
    await writeFile(join(staging, WARM_MARKER), `${new Date().toISOString()}\n`, { mode: 0o644 });
    // Entries tenants wrote before any warm-up (the cache dir is writable outside a sandbox) are replaced.
    if (!(await compileCacheIsWarm(options.entry))) await rm(target, { recursive: true, force: true });
    await rename(staging, target).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error; // another warm-up won
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  options.report?.(
    `warmed the compile cache in ${((Date.now() - started) / 1000).toFixed(1)} s at ${target}`,
  );
  return true;
}
