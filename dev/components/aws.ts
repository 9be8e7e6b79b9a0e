/**
 * The AWS wire protocols on loopback: s3rver for S3 and dynalite for DynamoDB,
 * both in-process, both persisting under the data dir so tenants' snapshots
 * and registry records survive a restart of the stack.
 */
import { mkdir, readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { createDynamoClient, createS3Client } from '../../common/aws-clients.js';
import { ensureTables, tableNames } from '../../registry/tables.js';
import { nodeArgs, PACKAGE_ROOT } from '../../common/entry-points.js';
import { PARENT_WATCHDOG_FLAG } from '../../common/parent-watchdog.js';
import { ManagedProcess } from '../managed-process.js';
import { waitUntil } from '../ports.js';
import { once, type ComponentContext, type RunningComponent } from './component.js';

/** Creates the bucket if missing (idempotent: an existing bucket we own is fine). */
export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const name = (error as Error).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
  }
}

export async function startS3(
  ctx: ComponentContext,
  options: { port: number; bucket: string; region: string },
): Promise<RunningComponent> {
  const directory = join(ctx.dataDir, 's3');
  await mkdir(directory, { recursive: true });
  const server = new S3rver({ port: options.port, address: ctx.host, directory, silent: true });
  const address = await server.run();
  const endpoint = `http://${ctx.host}:${address.port}`;
  const s3 = createS3Client({
    aws: { s3Endpoint: endpoint, region: options.region, credentials: 'embedded' },
  });
  const stop = once(async () => {
    s3.destroy();
    await server.close();
  });
  try {
    await ensureBucket(s3, options.bucket);
    return {
      rows: [{ component: 's3', url: endpoint, state: `up (bucket ${options.bucket})` }],
      processes: [],
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

export async function startDynamo(
  ctx: ComponentContext,
  options: { port: number; tablePrefix: string; region: string },
): Promise<RunningComponent> {
  const path = join(ctx.dataDir, 'dynamodb');
  await mkdir(path, { recursive: true });
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const port = await listen(server, options.port, ctx.host);
  const endpoint = `http://${ctx.host}:${port}`;
  const client = createDynamoClient({
    aws: { dynamodbEndpoint: endpoint, region: options.region, credentials: 'embedded' },
  });
  const stop = once(async () => {
    client.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  try {
    const names = tableNames(options.tablePrefix);
    await ensureTables(client, names);
    return {
      rows: [
        { component: 'dynamodb', url: endpoint, state: `up (tables ${Object.values(names).join(', ')})` },
      ],
      processes: [],
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The same server as a child process of its own (`startStack({awsProcesses})`),
 * so it can die alone: ready once its port accepts a request.
 */
export async function startAwsProcess(
  ctx: ComponentContext,
  kind: 's3' | 'dynamodb',
  options: { port: number; region: string; bucket?: string; tablePrefix?: string },
): Promise<RunningComponent> {
  const logFile = join(ctx.logDir, `${kind}.log`);
  const logged = async () => (await readFile(logFile, 'utf8').catch(() => '')).length;
  const earlier = await logged(); // the log is appended to across restarts
  const child = ManagedProcess.start({
    name: kind,
    command: process.execPath,
    args: nodeArgs('dev/aws-server', kind, JSON.stringify({ ...ctx, ...options }), PARENT_WATCHDOG_FLAG),
    cwd: PACKAGE_ROOT,
    logFile,
    parentWatchdog: true,
  });
  const url = `http://${ctx.host}:${options.port}`;
  const stop = () => child.stop(5_000);
  try {
    const ready = `${kind} up on ${ctx.host}:${options.port}`;
    await waitUntil(async () => (await readFile(logFile, 'utf8')).slice(earlier).includes(ready), {
      what: kind,
      timeoutMs: 60_000,
      intervalMs: 200,
      abort: () => (child.running ? undefined : child.describeExit()),
    });
    return { rows: [{ component: kind, url, state: 'up (own process)' }], processes: [child], stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
