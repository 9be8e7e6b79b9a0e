/**
 * Runs inside a tenant sandbox (test/local/sandbox/boundary.test.ts): starts
 * the supervisor's egress forwards and serves the inherited listening socket
 * like a supervisor does, then answers each probe the test sends (`GET
 * /probe/<name>`) with what happened when it tried, as JSON. It reports what
 * it saw; the test decides what must hold.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { startEgressForwards } from '../../../supervisor/sandbox-egress.js';
import { sandboxFromEnv } from '../../../supervisor/supervisor-config.js';

const outcome = (fn: () => unknown) => {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    return { ok: false, code: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
};

const tcp = (host: string, port: number) =>
  new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ ok: true });
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ ok: false, code: 'TIMEOUT' });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, code: err.code }));
  });

/** Children started until the kernel refuses one (or 400 ran); all are killed after. */
async function forkBomb() {
  const children = [];
  let refused: string | null = null;
  for (let i = 0; i < 400 && refused === null; i++) {
    const child = spawn('/usr/bin/sleep', ['30']);
    // A refused fork surfaces as an error event on the child, not a throw.
    refused = await new Promise<string | null>((resolve) => {
      child.once('spawn', () => resolve(null));
      child.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    children.push(child);
  }
  // Reaped before answering: children still counted in pids.max would refuse the next probe's spawn.
  const gone = children
    .filter((child) => child.pid !== undefined && child.exitCode === null && child.signalCode === null)
    .map((child) => new Promise((resolve) => child.once('exit', resolve)));
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(gone);
  return { started: children.length - (refused ? 1 : 0), refused };
}

/**
 * A child that allocates 16 MB at a time until it ends; how it ended. It marks itself the OOM killer's first
 * choice (raising one's own oom_score_adj needs no privilege): the probe server loaded tsx and can be the
 * bigger process when the limit is reached, and the kernel could end it instead.
 */
function allocate() {
  const script =
    "require('fs').writeFileSync('/proc/self/oom_score_adj','1000');" +
    'const a=[];for(;;){a.push(Buffer.alloc(16<<20,1));}';
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--max-old-space-size=4096', '-e', script]);
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code }));
  });
}

/** Writes 1 MiB at a time to `path` until the filesystem refuses; how far it got and why; the file is removed. */
function fill(path: string) {
  const chunk = Buffer.alloc(1 << 20, 1);
  let written = 0;
  const fd = openSync(path, 'w');
  try {
    for (; written < 1 << 14; written++) writeSync(fd, chunk);
    return { writtenMb: written, code: null };
  } catch (err) {
    return { writtenMb: written, code: (err as NodeJS.ErrnoException).code };
  } finally {
    closeSync(fd);
    unlinkSync(path);
  }
}

const probes: Record<string, (arg: string) => unknown> = {
  id: () => {
    const status = readFileSync('/proc/self/status', 'utf8');
    const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1];
    return {
      uid: process.getuid!(),
      gid: process.getgid!(),
      groups: process.getgroups!(),
      noNewPrivs: field('NoNewPrivs'),
      capEff: field('CapEff'),
      capBnd: field('CapBnd'),
      seccomp: field('Seccomp'),
    };
  },
  read: (path) => outcome(() => readFileSync(path, 'utf8').length),
  list: (path) => outcome(() => readdirSync(path)),
  write: (path) => outcome(() => writeFileSync(path, 'x')),
  tcp: (target) =>
    tcp(target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))),
  fetch: async (url) => {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(3_000) });
      return { ok: true, status: response.status, body: await response.text() };
    } catch (err) {
      return { ok: false, code: String((err as Error).cause ?? err) };
    }
  },
  pids: () => readdirSync('/proc').filter((name) => /^\d+$/.test(name)),
  /** A tool's syscall through the filter: `unshare -U` asks for a user namespace; its exit and message. */
  run: (command) =>
    new Promise((resolve) => {
      const [file, ...args] = command.split(' ');
      const child = spawn(file!, args);
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('exit', (code) => resolve({ code, stderr: stderr.trim() }));
    }),
  environ: (pid) => outcome(() => readFileSync(`/proc/${pid}/environ`).length),
  forkBomb,
  allocate,
  fill,
};

const sockets = sandboxFromEnv(process.env);
if (!sockets) throw new Error('not started by the sandbox launcher');
await startEgressForwards(sockets.egress);
const server = createServer((req, res) => {
  const [, , name = '', ...rest] = (req.url ?? '').split('/');
  const probe = probes[name];
  if (!probe) return res.writeHead(404).end();
  void Promise.resolve(probe(decodeURIComponent(rest.join('/')))).then((result) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result ?? null)),
  );
});
server.listen({ fd: sockets.listenFd });
