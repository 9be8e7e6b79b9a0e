/**
 * What the test kubelet runs for a pod, on the pod's own 127.0.0.x address:
 * for a cold pod an instant stand-in (`/healthz`, `/readyz`) or the real pod
 * supervisor (supervisor/main.ts, real OpenClaw) started from the spec and secret
 * files the runtime put into the pod's Secret, as the agent image would; for a
 * warm pool pod always the real `supervisor/main.ts --warm`.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeArgs, PACKAGE_ROOT } from '../../common/entry-points.js';
import { parseSpec } from '../../supervisor/supervisor-config.js';
import type { WarmConfig } from '../../supervisor/warm-config.js';

export interface Container {
  readonly ip: string;
  /** An HTTP probe of the container's supervisor port: true when `path` answers 200. */
  probe(path: string): Promise<boolean>;
  /** Resolves when the container exits on its own or after stop. */
  readonly exited: Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<void>;
}

export const SUPERVISOR_PORT = 8080;

/** An instant cold-pod container for suites that test the runtime, not the supervisor. */
export function standIn(ip: string): Promise<Container> {
  const server = createServer((req, res) => {
    const probe = req.url === '/healthz' || req.url === '/readyz';
    res.writeHead(probe ? 200 : 404).end(JSON.stringify(probe ? { state: 'ready' } : {}));
  });
  let exit: () => void = () => {};
  const container: Container = {
    ip,
    probe: () => Promise.resolve(true),
    exited: new Promise<void>((resolve) => (exit = resolve)),
    stop: () => {
      server.closeAllConnections();
      server.close();
      exit();
      return Promise.resolve();
    },
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(SUPERVISOR_PORT, ip, () => resolve(container));
  });
}

export interface RealSupervisorOptions {
  /** Node ≥ 24.16 and the OpenClaw entry of a local install: what the agent image holds. */
  readonly node: string;
  readonly openclawEntry: string;
}

/** The stand-in OpenClaw of the supervisor tests: a claimed warm pod in a fast suite starts in a second. */
export const STAND_IN_OPENCLAW: RealSupervisorOptions = {
  node: process.execPath,
  openclawEntry: join(import.meta.dirname, '..', 'supervisor', 'stand-in-openclaw.mjs'),
};

/**
 * The pod's network namespace is emulated by its own loopback address: the
 * supervisor and the gateway bind `ip` (in a real pod the gateway binds the
 * pod's 127.0.0.1), and the mounted Secret becomes a private directory.
 */
export async function realSupervisor(
  ip: string,
  data: Record<string, string>,
  options: RealSupervisorOptions,
): Promise<Container> {
  const root = await mountSecret(data);
  const spec = parseSpec(JSON.parse(data['spec.json']!));
  const local = {
    ...spec,
    listen: { ...spec.listen, host: ip },
    gateway: { ...spec.gateway, host: ip },
    rootDir: join(root, 'pod'),
    secretsDir: join(root, 'secrets'),
    openclaw: { ...spec.openclaw, node: options.node, entry: options.openclawEntry },
  };
  const specPath = join(root, 'spec.json');
  await writeFile(specPath, JSON.stringify(local), { mode: 0o600 });
  return spawnSupervisor(ip, root, [specPath]);
}

/**
 * A warm pool pod: the real `supervisor/main.ts --warm`, with its warm.json mapped to
 * this host like a cold pod's spec (listen on the pod's address, its own
 * state dir, OpenClaw where this machine has it). The claim then reaches the
 * real warm server, and the real tenant supervisor takes over its port.
 */
export async function realWarmSupervisor(
  ip: string,
  data: Record<string, string>,
  options: RealSupervisorOptions,
): Promise<Container> {
  const root = await mountSecret(data);
  const warm = JSON.parse(data['warm.json']!) as WarmConfig;
  const local: WarmConfig = {
    ...warm,
    listen: { ...warm.listen!, host: ip },
    claimTokenFile: join(root, 'secrets', 'claim-token'),
    pod: {
      rootDir: join(root, 'pod'),
      gatewayHost: ip,
      openclaw: { node: options.node, entry: options.openclawEntry },
    },
  };
  const warmPath = join(root, 'warm.json');
  await writeFile(warmPath, JSON.stringify(local), { mode: 0o600 });
  return spawnSupervisor(ip, root, ['--warm', warmPath]);
}

/** The pod's Secret as a mode-700 directory of mode-600 files. */
async function mountSecret(data: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'clawfleet-kpod-'));
  const secretsDir = join(root, 'secrets');
  await mkdir(secretsDir, { mode: 0o700 });
  for (const [name, value] of Object.entries(data))
    if (name !== 'spec.json' && name !== 'warm.json')
      await writeFile(join(secretsDir, name), value, { mode: 0o600 });
  return root;
}

function spawnSupervisor(ip: string, root: string, args: string[]): Container {
  const log = createWriteStream(join(root, 'supervisor.log'));
  // The image's command (node dist/supervisor/main.js) in this checkout's mode: the sources under mocha.
  const child = spawn(process.execPath, nodeArgs('supervisor/main', ...args), {
    cwd: PACKAGE_ROOT,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  // The pod's emptyDirs go with it; CLAWFLEET_KEEP_TEST_DATA=1 keeps them for a post-mortem.
  const keep = !!process.env['CLAWFLEET_KEEP_TEST_DATA'];
  const exited = new Promise<void>((resolve) =>
    child.once(
      'exit',
      () => void (keep ? Promise.resolve() : rm(root, { recursive: true, force: true })).then(resolve),
    ),
  );
  return {
    ip,
    exited,
    // Probed as a kubelet does, without credentials.
    probe: async (path) => {
      const response = await fetch(`http://${ip}:${SUPERVISOR_PORT}${path}`).catch(() => null);
      await response?.body?.cancel();
      return response?.status === 200;
    },
    stop: async (graceMs) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
