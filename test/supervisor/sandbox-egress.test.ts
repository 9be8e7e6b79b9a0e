/**
 * The supervisor's inside end of the sandbox egress (supervisor/sandbox-egress.ts)
 * while the host end is down, as during a worker restart: a connection made
 * then waits and goes through once the host listens again.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEgressForwards } from '../../supervisor/sandbox-egress.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const closed = (server: Server) => new Promise((resolve) => server.close(resolve));

/** Sends `text` through the inside listener and resolves with what came back before the close. */
function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.once('close', () => resolve(answer));
    socket.once('error', reject);
  });
}

describe('sandbox egress inside the sandbox: a worker restart', function () {
  this.timeout(20_000);
  let dir: string;
  const servers: Server[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'egress-wait-'));
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(closed));
    await rm(dir, { recursive: true, force: true });
  });

  it('a connection made while the host end is down goes through once it listens again', async () => {
    const socket = join(dir, 'model.sock');
    const [inside] = await startEgressForwards([{ host: '127.0.0.1', port: 0, socket }]);
    servers.push(inside!);
    const { port } = inside!.address() as AddressInfo;
    const answer = roundTrip(port, 'ping');
    await sleep(500); // nobody listens (the socket file is missing, as between two workers)
    const host = createServer((c) => c.once('data', (d) => c.end(`pong:${d.toString()}`)));
    await new Promise<void>((resolve) => host.listen(socket, resolve));
    servers.push(host);
    assert.equal(await answer, 'pong:ping');
  });
});
