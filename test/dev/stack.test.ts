import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { loadConfig, withOverrides } from '../../common/config.js';
import { createDynamoClient, createS3Client } from '../../common/aws-clients.js';
import { startStack, type Stack, ANY_PORTS } from '../../dev/stack.js';
import { tableNames } from '../../registry/tables.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/shared.js';
import { startOtlpReceiver } from '../helpers/otlp-receiver.js';
import { waitForExit } from '../helpers/processes.js';
import { eventually } from '../supervisor/supervisor-process.js';

describe('embedded dev stack', function () {
  this.timeout(240_000);
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'clawfleet-stack-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  async function start(apps: boolean, report?: (line: string) => void, otlpEndpoint = ''): Promise<Stack> {
    return startStack({
      config: withOverrides(loadConfig({}), { common: { dataDir }, telemetry: { otlpEndpoint } }),
      ports: ANY_PORTS,
      apps,
      ...(report && { report }),
    });
  }

  it('brings every component up, each answers its own protocol, and stopping leaves no process behind', async () => {
    // Traced, as `clawfleet dev --otlp <url>` runs it: the worker bundles the sandbox's tracing and the router exports.
    const collector = await startOtlpReceiver();
    const stack = await start(true, undefined, collector.url);
    const pids = stack.pids();
    try {
      assert.deepEqual(
        stack.rows.map((row) => row.component),
        [
          'temporal',
          'web ui',
          'redis',
          's3',
          'dynamodb',
          'worker',
          'tenant sandbox',
          'router',
          'admin api',
          'model gateway',
        ],
      );
      const { config } = stack;

      const connection = await Connection.connect({ address: config.temporal.address });
      try {
        const ns = await connection.workflowService.describeNamespace({
          namespace: config.temporal.namespace,
        });
        assert.equal(ns.namespaceInfo?.name, config.temporal.namespace);
        const listing = await connection.operatorService.listSearchAttributes({
          namespace: config.temporal.namespace,
        });
        for (const key of SEARCH_ATTRIBUTES)
          assert.ok(key.name in (listing.customAttributes ?? {}), `${key.name} registered`);
      } finally {
        await connection.close();
      }

      const redis = new Redis(config.redis.url);
      try {
        assert.equal(await redis.ping(), 'PONG');
      } finally {
        redis.disconnect();
      }

      const s3 = createS3Client(config);
      await s3.send(
        new PutObjectCommand({ Bucket: config.aws.s3Bucket, Key: 'probe/hello.txt', Body: 'hello s3' }),
      );
      const object = await s3.send(
        new GetObjectCommand({ Bucket: config.aws.s3Bucket, Key: 'probe/hello.txt' }),
      );
      assert.equal(await object.Body?.transformToString(), 'hello s3');
      s3.destroy();

      const dynamo = createDynamoClient(config);
      const TableName = tableNames(config.aws.tablePrefix).tenants;
      await dynamo.send(
        new PutItemCommand({ TableName, Item: { tenantId: { S: 'probe' }, status: { S: 'active' } } }),
      );
      const item = await dynamo.send(new GetItemCommand({ TableName, Key: { tenantId: { S: 'probe' } } }));
      assert.equal(item.Item?.['status']?.S, 'active');
      dynamo.destroy();

      for (const port of [config.router.port, config.admin.port]) {
        const ready = await fetch(`http://${config.router.host}:${port}/readyz`);
        assert.equal(ready.status, 200, `readyz on ${port}`);
      }
      // The model gateway listens apart from the public router, and asks for a model token.
      assert.notEqual(config.gateway.port, config.router.port);
      const models = await fetch(`http://${config.gateway.host}:${config.gateway.port}/v1/models`);
      assert.equal(models.status, 401);
      const gatewayMetrics = await fetch(
        `http://${config.router.host}:${config.gateway.metricsPort}/metrics`,
      );
      assert.match(await gatewayMetrics.text(), /clawfleet_gateway_requests_total/);
      // The worker's own metrics listener, on the stack's host and a port of its own.
      const { workerMetricsHost, workerMetricsPort } = config.telemetry;
      const workerMetrics = await fetch(`http://${workerMetricsHost}:${workerMetricsPort}/metrics`);
      assert.match(await workerMetrics.text(), /clawfleet_worker_wakes_total/);
      // The router process exports a span per tenant request, this one for a tenant that does not exist.
      const unknown = await fetch(`http://${config.router.host}:${config.router.port}/tg/nobody-here`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'x' },
        body: JSON.stringify({ update_id: 1 }),
      });
      assert.equal(unknown.status, 404);
      await eventually(
        () =>
          Promise.resolve(
            collector.spans.some(
              (s) => s.service === 'clawfleet-router' && s.attributes['tenant.id'] === 'nobody-here',
            )
              ? true
              : undefined,
          ),
        15_000,
        'the router span at the collector',
      );
      const ui = await fetch(stack.rows.find((row) => row.component === 'web ui')!.url);
      assert.equal(ui.status, 200);

      // The admin API (master key) and the router (its key file only) are separate processes.
      const router = await stackProcess(stack, 'router/server.ts');
      assert.notEqual(await stackProcess(stack, 'admin/server.ts'), router);
      const environ = (await readFile(`/proc/${router}/environ`, 'utf8')).split('\0');
      assert.ok(!environ.some((v) => v.startsWith('CLAWFLEET_MASTER_KEY_FILE=')), 'no master key setting');
      assert.ok(!environ.some((v) => v.includes('master.key')), 'no master key path');
      const keyFile = join(config.common.dataDir, 'keys', 'router.key');
      assert.equal((await stat(keyFile)).mode & 0o777, 0o600, 'the router key file the admin API wrote');
    } finally {
      await stack.stop();
      await collector.close();
    }
    assert.ok(pids.length >= 4, 'temporal, redis, worker and router are child processes');
    assert.deepEqual(await waitForExit(pids, 5_000), [], 'no child process outlives the stack');
  });

  it('keeps workflows in the SQLite file across a restart of the stack', async () => {
    const first = await start(false);
    const workflowId = `persist-${Date.now()}`;
    try {
      const connection = await Connection.connect({ address: first.config.temporal.address });
      const client = new Client({ connection });
      await client.workflow.start('noSuchWorkflowNeeded', { taskQueue: 'persistence-probe', workflowId });
      await connection.close();
    } finally {
      await first.stop();
    }
    const second = await start(false);
    try {
      const connection = await Connection.connect({ address: second.config.temporal.address });
      const description = await new Client({ connection }).workflow.getHandle(workflowId).describe();
      assert.equal(description.workflowId, workflowId);
      await connection.close();
    } finally {
      await second.stop();
    }
  });

  it('starts a killed router, admin API or Redis again on the same port, and stopping leaves no process behind', async () => {
    const lines: string[] = [];
    const stack = await start(true, (line) => lines.push(line));
    const { config } = stack;
    const routerUrl = `http://${config.router.host}:${config.router.port}/healthz`;
    const routerUp = async () => (await fetch(routerUrl).catch(() => null))?.ok === true;
    const adminUrl = `http://${config.router.host}:${config.admin.port}/healthz`;
    const adminUp = async () => (await fetch(adminUrl).catch(() => null))?.ok === true;
    const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false });
    redis.on('error', () => undefined);
    const redisUp = async () => (await redis.ping().catch(() => null)) === 'PONG';
    try {
      const markers = { router: 'router/server.ts', admin: 'admin/server.ts', redis: 'redis-server' };
      for (const [name, up] of [
        ['router', routerUp],
        ['admin', adminUp],
        ['redis', redisUp],
      ] as const) {
        const victim = await stackProcess(stack, markers[name]);
        process.kill(victim, 'SIGKILL');
        await eventuallyTrue(async () => !(await up()), `${name} down`);
        await eventuallyTrue(
          () => Promise.resolve(lines.includes(`${name} is up again`)),
          `${name} reported up`,
          60_000,
        );
        await eventuallyTrue(up, `${name} answering again`); // our client reconnects with its own backoff
        assert.ok(!stack.pids().includes(victim), `${name} runs as a new process`);
        assert.ok(
          lines.some((line) => line.startsWith(`${name} killed by SIGKILL; restarting`)),
          lines.join('\n'),
        );
      }
    } finally {
      redis.disconnect();
      const pids = stack.pids();
      await stack.stop();
      assert.deepEqual(await waitForExit(pids, 5_000), [], 'no child process outlives the stack');
    }
  });

  it('refuses a second stack on the same data dir instead of corrupting it', async () => {
    const stack = await start(false);
    try {
      await assert.rejects(start(false), /already uses/);
    } finally {
      await stack.stop();
    }
  });
});

/** The stack's process whose command line mentions `marker`. */
async function stackProcess(stack: Stack, marker: string): Promise<number> {
  for (const pid of stack.pids()) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(marker)) return pid;
  }
  return assert.fail(`no process of the stack runs ${marker}`);
}

async function eventuallyTrue(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
