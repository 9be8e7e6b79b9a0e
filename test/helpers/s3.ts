import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The slice of s3rver 3.7.1 we use; it ships no type declarations. */
interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  resetOnClose: boolean;
}) => S3rverInstance;

const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;

export interface TestS3 {
  readonly client: S3Client;
  readonly bucket: string;
  readonly endpoint: string;
  /** Stops the server, destroys the client and removes the data directory. */
  close(): Promise<void>;
}

/**
 * A real S3 API (s3rver) in this process, on a free loopback port, backed by
 * a fresh temp directory, with one empty bucket. No mocks: the AWS SDK talks
 * HTTP to it exactly as it would to AWS.
 */
export async function startS3(bucket = 'clawfleet-test'): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), 'clawfleet-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, resetOnClose: false });
  let client: S3Client | undefined;
  try {
    const { port } = await server.run();
    const endpoint = `http://127.0.0.1:${port}`;
    client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const started = client;
    return {
      client: started,
      bucket,
      endpoint,
      async close() {
        started.destroy();
        await server.close();
        await rm(directory, { recursive: true, force: true });
      },
    };
  } catch (err) {
    client?.destroy();
    await server.close().catch(() => undefined);
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
}
