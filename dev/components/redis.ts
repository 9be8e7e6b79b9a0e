import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ManagedProcess } from '../managed-process.js';
import { waitUntil } from '../ports.js';
import type { ComponentContext, RunningComponent } from './component.js';

/**
 * redis-server on loopback. It only caches endpoints, debounce keys and
 * rate-limit counters, all of which rebuild themselves, but not at once: an
 * awake tenant's endpoint is published again only at its next periodic
 * snapshot (minutes), and until then every message of every awake tenant
 * takes the cold path through Temporal and the worker, so a Redis crash made
 * a later worker or Temporal crash cost tens of seconds (the chaos run). An
 * append-only file, written every second, brings the cache back with the
 * process; a restart loses at most the last second's writes.
 */
export async function startRedis(
  ctx: ComponentContext,
  options: { binary: string; port: number },
): Promise<RunningComponent> {
  const url = `redis://${ctx.host}:${options.port}`;
  const process = ManagedProcess.start({
    name: 'redis',
    command: options.binary,
    logFile: join(ctx.logDir, 'redis.log'),
    args: [
      '--port',
      String(options.port),
      '--bind',
      ctx.host,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--daemonize',
      'no',
      '--dir',
      ctx.dataDir,
    ],
  });
  const stop = () => process.stop(5_000);
  try {
    await waitUntil(
      async () => {
        const client = new Redis(url, {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        client.on('error', () => undefined); // refused while starting: the probe's rejection reports it
        try {
          await client.connect();
          return (await client.ping()) === 'PONG';
        } finally {
          client.disconnect();
        }
      },
      {
        what: 'redis-server',
        timeoutMs: 20_000,
        abort: () => (process.running ? undefined : process.describeExit()),
      },
    );
    return { rows: [{ component: 'redis', url, state: 'up' }], processes: [process], stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
