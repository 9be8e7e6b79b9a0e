import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedis } from '../../dev/components/redis.js';
import { freePort } from '../../dev/ports.js';
import { testTools } from './toolchain.js';

export interface TestRedis {
  readonly url: string;
  /** A fresh client; closed by `stop`. */
  client(): Redis;
  stop(): Promise<void>;
}

/** A real redis-server on a free loopback port, started with the dev stack's own code. */
export async function startTestRedis(): Promise<TestRedis> {
  const { redisServer } = await testTools();
  const dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-redis-'));
  const component = await startRedis(
    { host: '127.0.0.1', dataDir, logDir: dataDir, report: () => {} },
    { binary: redisServer.path, port: await freePort() },
  );
  const url = component.rows[0]!.url;
  const clients: Redis[] = [];
  return {
    url,
    client: () => {
      const client = new Redis(url, { maxRetriesPerRequest: 1 });
      clients.push(client);
      return client;
    },
    stop: async () => {
      for (const client of clients) client.disconnect();
      await component.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
