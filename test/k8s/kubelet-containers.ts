/**
 * What the test kubelet runs for a pod, on the pod's own 127.0.0.x address:
 * a stand-in supervisor (`/healthz`, `/readyz`, `POST /claim`; instant) or the
 * real pod supervisor (pod/main.ts, real OpenClaw) started from the spec and
 * secret files the runtime put into the pod's Secret, as the agent image would.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSpec } from '../../pod/supervisor-config.js';

export interface Container {
  readonly ip: string;
  claimedBy?: string;
  /** The supervisor's /readyz answers 200. */
  ready(): Promise<boolean>;
  /** Resolves when the container exits on its own or after stop. */
  readonly exited: Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<void>;
}

export const SUPERVISOR_PORT = 8080;

export function standIn(
  ip: string,
  claimToken: string | undefined,
  claimDelayMs: number,
): Promise<Container> {
  const server = createServer();
  let exit: () => void = () => {};
  const container: Container = {
    ip,
    ready: () => Promise.resolve(true),
    exited: new Promise<void>((resolve) => (exit = resolve)),
    stop: () => {
      server.closeAllConnections();
      server.close();
      exit();
      return Promise.resolve();
    },
  };
  server.on('request', (req, res) => {
    const send = (status: number, body: unknown) => res.writeHead(status).end(JSON.stringify(body));
    if (req.url === '/healthz' || req.url === '/readyz') return send(200, { state: 'ready' });
    if (req.method !== 'POST' || req.url !== '/claim') return send(404, {});
    if (!claimToken || req.headers.authorization !== `Bearer ${claimToken}`) return send(401, {});
    if (container.claimedBy) return send(409, { error: 'already claimed' });
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      try {
        const parsed = JSON.parse(body) as { spec: unknown; secrets: Record<string, string> };
        const spec = parseSpec(parsed.spec);
        if (!parsed.secrets.supervisorToken) throw new Error('no supervisor token');
        container.claimedBy = spec.tenantId;
        setTimeout(() => send(200, { state: 'ready' }), claimDelayMs);
      } catch (error) {
        send(400, { error: (error as Error).message });
      }
    });
  });
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

/**
 * The pod's network namespace is emulated by its own loopback address: the
 * supervisor and the gateway bind `ip` (in a real pod the gateway binds the
 * pod's 127.0.0.1), and the mounted Secret becomes a private directory.
 */
export async function realSupervisor(
  ip: string,
  data: Record<string, string>,
  options: RealSupervisorOptions,
  /** The pod's readiness probe path; probed as a kubelet does, without credentials. */
  probePath: string,
): Promise<Container> {
  const root = await mkdtemp(join(tmpdir(), 'clawfleet-kpod-'));
  const secretsDir = join(root, 'secrets');
  await mkdir(secretsDir, { mode: 0o700 });
  for (const [name, value] of Object.entries(data))
    if (name !== 'spec.json') await writeFile(join(secretsDir, name), value, { mode: 0o600 });
  const spec = parseSpec(JSON.parse(data['spec.json']!));
  const local = {
    ...spec,
    listen: { ...spec.listen, host: ip },
    gateway: { ...spec.gateway, host: ip },
    rootDir: join(root, 'pod'),
    secretsDir,
    openclaw: { ...spec.openclaw, node: options.node, entry: options.openclawEntry },
  };
  const specPath = join(root, 'spec.json');
  await writeFile(specPath, JSON.stringify(local), { mode: 0o600 });
  const log = createWriteStream(join(root, 'supervisor.log'));
  const repo = join(import.meta.dirname, '..', '..');
  const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'pod', 'main.ts'), specPath], {
    cwd: repo,
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
    ready: async () => {
      const response = await fetch(`http://${ip}:${SUPERVISOR_PORT}${probePath}`).catch(() => null);
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
