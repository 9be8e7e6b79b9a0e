/**
 * The egress keeper (local/sandbox/egress-keeper.ts) as the runtime drives it
 * (egress-keeper-client.ts), a real process: a sandbox's socket forwards to
 * its destination; a keeper that dies is started again and given the egress
 * back; a runtime that starts later reaches the same keeper; with no runtime
 * heartbeat and no tenant left the keeper ends itself.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTimeOf } from '../../../local/process-identity.js';
import { processesMentioning } from '../../../local/process-sweep.js';
import { egressRoutes } from '../../../local/sandbox/egress.js';
import { EgressKeeperClient, keeperMarker } from '../../../local/sandbox/egress-keeper-client.js';

/** One line through the sandbox's socket: what the destination answers. */
function throughSocket(socket: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = connect(socket, () => client.write('ping\n'));
    let text = '';
    client.on('data', (chunk) => (text += String(chunk)));
    client.on('end', () => resolve(text));
    client.on('error', reject);
  });
}

/** The keeper itself (from source, tsx's esbuild service runs beside it with the same environment). */
async function keeperPids(dataDir: string): Promise<number[]> {
  const marked = await processesMentioning(keeperMarker(dataDir));
  const cmdlines = await Promise.all(
    marked.map((pid) => readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')),
  );
  return marked.filter((_, i) => cmdlines[i]!.includes('egress-keeper-main'));
}

async function until<T>(find: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  for (
    const deadline = Date.now() + ms;
    Date.now() < deadline;
    await new Promise((r) => setTimeout(r, 100))
  ) {
    const found = await find().catch(() => undefined);
    if (found !== undefined) return found;
  }
  throw new Error(`no ${what} within ${ms} ms`);
}

describe('the egress keeper, a process of its own', function () {
  this.timeout(60_000);
  let dataDir: string;
  let destination: Server;
  let port: number;
  const heartbeat = () => ({ file: join(dataDir, 'runtime.heartbeat'), windowMs: 4_000 });

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-keeper-'));
    await writeFile(join(dataDir, 'runtime.heartbeat'), '');
    destination = createServer((socket) => socket.end('pong from the destination\n'));
    await new Promise<void>((resolve) => destination.listen(0, '127.0.0.1', resolve));
    port = (destination.address() as { port: number }).port;
  });
  after(async () => {
    for (const pid of await keeperPids(dataDir)) process.kill(pid, 'SIGKILL');
    destination?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('serves a sandbox’s socket; a keeper that dies is started again with the egress given back; the next runtime reaches it', async () => {
    const beating = setInterval(() => void utimes(heartbeat().file, new Date(), new Date()), 1_000);
    const routes = egressRoutes([`http://127.0.0.1:${port}`], [`127.0.0.1:${port}`]);
    const dir = join(dataDir, 'sandboxes', 'slot-0', 'egress');
    const socket = join(dir, routes[0]!.socket);
    const runtime = new EgressKeeperClient({ dataDir, heartbeat: heartbeat() });
    try {
      await runtime.open({ dir, routes, guards: [] });
      assert.match(await throughSocket(socket), /pong from the destination/);
      const [first] = await keeperPids(dataDir);
      assert.ok(first, 'a keeper runs');

      process.kill(first, 'SIGKILL');
      const second = await until(
        async () => (await keeperPids(dataDir)).find((pid) => pid !== first),
        20_000,
        'restarted keeper',
      );
      assert.match(
        await until(() => throughSocket(socket), 10_000, 'egress through the new keeper'),
        /pong from the destination/,
      );

      runtime.detach(); // a worker that dies: the next runtime reaches the same keeper, it starts none
      const next = new EgressKeeperClient({ dataDir, heartbeat: heartbeat() });
      await next.open({ dir, routes, guards: [] });
      assert.deepEqual(await keeperPids(dataDir), [second]);
      assert.match(await throughSocket(socket), /pong from the destination/);
      await next.stop();
      assert.equal(startTimeOf(second), null, 'a runtime’s close ends the keeper');
    } finally {
      clearInterval(beating);
      runtime.detach();
    }
  });

  it('ends itself once the runtime’s heartbeat is older than the window and no tenant runs', async () => {
    await utimes(heartbeat().file, new Date(), new Date());
    const runtime = new EgressKeeperClient({ dataDir, heartbeat: heartbeat() });
    await runtime.open({ dir: join(dataDir, 'sandboxes', 'slot-1', 'egress'), routes: [], guards: [] });
    runtime.detach(); // the runtime is gone: nobody touches the heartbeat from here
    const [keeper] = await keeperPids(dataDir);
    assert.ok(keeper);
    await until(
      () => Promise.resolve(startTimeOf(keeper) === null ? true : undefined),
      20_000,
      'the keeper’s exit after the 4 s window',
    );
  });
});
