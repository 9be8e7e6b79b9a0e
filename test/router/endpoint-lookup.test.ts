import { strict as assert } from 'node:assert';
import type { Redis } from 'ioredis';
import {
  ENDPOINT_KEY_PREFIX,
  encodeEndpointEntry,
  endpointKey,
} from '../../endpoints/redis-endpoint-cache.js';
import { EndpointLookup } from '../../router/endpoint-lookup.js';
import { KeyInvalidations } from '../../router/key-invalidations.js';
import { RouterMetrics } from '../../router/metrics.js';
import { hotPathRedis } from '../../router/wiring.js';
import { createRootLogger } from '../../common/logger.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

describe('endpoint lookup: process copies invalidated by Redis key tracking (real Redis)', () => {
  let server: TestRedis;
  let workflow: Redis; // the tenant workflow's side: publishes and unpublishes endpoints
  let hot: Redis;
  let lookup: EndpointLookup;
  let tracking: KeyInvalidations;

  before(async () => {
    server = await startTestRedis();
    workflow = server.client();
    hot = hotPathRedis(server.url);
    await hot.connect();
    const logger = createRootLogger({ level: 'silent', name: 'test' });
    tracking = new KeyInvalidations(hot, [ENDPOINT_KEY_PREFIX], logger);
    tracking.start();
    lookup = new EndpointLookup(hot, new RouterMetrics(), logger, tracking);
    await until(() => trackingClients().then((n) => n === 1), 'key tracking live');
  });
  after(async () => {
    tracking.close();
    hot.disconnect();
    await server.stop();
  });

  async function trackingClients(): Promise<number> {
    const list = String(await workflow.client('LIST'));
    return list.split('\n').filter((line) => / flags=\S*t/.test(line) && / sub=1 /.test(line)).length;
  }
  async function getCalls(): Promise<number> {
    return Number(/cmdstat_get:calls=(\d+)/.exec(await workflow.info('commandstats'))?.[1] ?? 0);
  }
  const publish = (tenantId: string, endpoint: string) =>
    workflow.set(
      endpointKey(tenantId),
      encodeEndpointEntry({ endpoint, podId: `${tenantId}-1` }),
      'PX',
      60_000,
    );
  /** The endpoint the router would forward to (the pod id comes with it). */
  const endpointOf = async (tenantId: string) => (await lookup.find(tenantId))?.endpoint ?? null;

  it('a busy tenant’s endpoint is read from Redis once, then served from the process', async () => {
    await publish('t-busy', 'http://10.0.0.1:8080');
    const before = await getCalls();
    for (let i = 0; i < 50; i++) assert.equal(await endpointOf('t-busy'), 'http://10.0.0.1:8080');
    assert.equal((await getCalls()) - before, 1);
  });

  it('the workflow unpublishing or replacing the endpoint reaches the copy at once', async () => {
    await publish('t-change', 'http://10.0.0.2:8080');
    assert.equal(await endpointOf('t-change'), 'http://10.0.0.2:8080');
    await publish('t-change', 'http://10.0.0.3:8080'); // a new pod
    // Well inside the copies' 1 s bound: the invalidation did it, not the expiry.
    await until(async () => (await endpointOf('t-change')) === 'http://10.0.0.3:8080', 'replacement', 300);
    await workflow.del(endpointKey('t-change')); // the tenant went to sleep
    await until(async () => (await endpointOf('t-change')) === null, 'unpublish', 300);
  });

  it('a miss is not kept: the endpoint a wake publishes is used by the very next message', async () => {
    assert.equal(await endpointOf('t-wake'), null);
    await publish('t-wake', 'http://10.0.0.4:8080');
    assert.equal(await endpointOf('t-wake'), 'http://10.0.0.4:8080');
  });

  it('a dropped endpoint leaves the process too', async () => {
    await publish('t-dead', 'http://10.0.0.5:8080');
    assert.equal(await endpointOf('t-dead'), 'http://10.0.0.5:8080');
    await lookup.drop('t-dead', { endpoint: 'http://10.0.0.5:8080', podId: 't-dead-1' });
    assert.equal(await endpointOf('t-dead'), null);
  });

  it('tracking lost: copies are dropped and not used until tracking is back', async () => {
    await publish('t-lost', 'http://10.0.0.6:8080');
    assert.equal(await endpointOf('t-lost'), 'http://10.0.0.6:8080');
    // Kill the tracking connection and change the entry right away: that invalidation is never sent to us.
    await workflow.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await publish('t-lost', 'http://10.0.0.7:8080');
    await until(async () => (await endpointOf('t-lost')) === 'http://10.0.0.7:8080', 'fresh read', 300);
    await until(() => trackingClients().then((n) => n === 1), 'tracking re-established');
    await new Promise((resolve) => setTimeout(resolve, 50)); // its subscribe answered: live
    assert.equal(await endpointOf('t-lost'), 'http://10.0.0.7:8080');
    await publish('t-lost', 'http://10.0.0.8:8080');
    await until(async () => (await endpointOf('t-lost')) === 'http://10.0.0.8:8080', 'flowing again', 300);
  });
});

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
