import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { createDocumentClient } from '../../registry/document-client.js';
import { ensureTables, tableNames, type TableNames } from '../../registry/tables.js';

export interface TestDynamo {
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly tables: TableNames;
  readonly endpoint: string;
  /** Destroys the clients and stops the server (its in-memory data goes with it). */
  close(): Promise<void>;
  /**
   * An outage (`pausable` only): the endpoint refuses connections, and open ones
   * are cut, until `resume`; the data stays. Dynalite itself cannot stop
   * listening without closing its database, so the endpoint is a TCP relay.
   */
  pause(): Promise<void>;
  resume(): Promise<void>;
}

/** A TCP relay to `port` that can refuse connections for a while. */
async function startRelay(port: number) {
  const sockets = new Set<Socket>();
  const relay = createServer((inbound) => {
    const outbound = connect(port, '127.0.0.1');
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  const listen = (at: number) =>
    new Promise<number>((resolve, reject) => {
      relay.once('error', reject);
      relay.listen(at, '127.0.0.1', () => resolve((relay.address() as AddressInfo).port));
    });
  const relayPort = await listen(0);
  const pause = async () => {
    for (const socket of sockets) socket.destroy();
    if (relay.listening) await new Promise<void>((resolve) => relay.close(() => resolve()));
  };
  return { port: relayPort, pause, resume: async () => void (await listen(relayPort)) };
}

/**
 * A real DynamoDB API (dynalite) in this process, in memory, on a free
 * loopback port, with the registry's tables created by `ensureTables` under
 * a unique prefix. No mocks: the AWS SDK talks HTTP to it as it would to AWS.
 */
export async function startDynamo(
  prefix = `t${randomBytes(3).toString('hex')}-`,
  options: { pausable?: boolean } = {},
): Promise<TestDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const relay = options.pausable ? await startRelay(port) : undefined;
  const endpoint = `http://127.0.0.1:${relay?.port ?? port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'DYNALITE', secretAccessKey: 'DYNALITE' },
  });
  const close = async () => {
    client.destroy();
    await relay?.pause();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  try {
    const tables = tableNames(prefix);
    await ensureTables(client, tables);
    const notPausable = () => Promise.reject(new Error('startDynamo({ pausable: true }) to pause it'));
    return {
      client,
      doc: createDocumentClient(client),
      tables,
      endpoint,
      close,
      pause: relay?.pause ?? notPausable,
      resume: relay?.resume ?? notPausable,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
