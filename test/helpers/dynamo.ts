import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
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
}

/**
 * A real DynamoDB API (dynalite) in this process, in memory, on a free
 * loopback port, with the registry's tables created by `ensureTables` under
 * a unique prefix. No mocks: the AWS SDK talks HTTP to it as it would to AWS.
 */
export async function startDynamo(prefix = `t${randomBytes(3).toString('hex')}-`): Promise<TestDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'DYNALITE', secretAccessKey: 'DYNALITE' },
  });
  const close = async () => {
    client.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  try {
    const tables = tableNames(prefix);
    await ensureTables(client, tables);
    return { client, doc: createDocumentClient(client), tables, endpoint, close };
  } catch (error) {
    await close();
    throw error;
  }
}
