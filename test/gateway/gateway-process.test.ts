import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { configToEnv } from '../../common/config.js';
import { nodeArgs, PACKAGE_ROOT } from '../../common/entry-points.js';
import { quotaWindows } from '../../common/quotas.js';
import { freePort } from '../../dev/ports.js';
import { sumUsage } from '../../registry/usage.js';
import { eventually } from '../supervisor/supervisor-process.js';
import { chat, startGatewayHarness, type GatewayHarness } from './gateway-harness.js';

/** The real entry point (gateway/server.ts) as its own process, configured through the environment. */
async function startGatewayProcess(h: GatewayHarness, port: number, metricsPort: number) {
  const child: ChildProcess = spawn(process.execPath, nodeArgs('gateway/server'), {
    cwd: PACKAGE_ROOT,
    env: {
      ...process.env,
      ...configToEnv(h.config),
      CLAWFLEET_GATEWAY_HOST: '127.0.0.1',
      CLAWFLEET_GATEWAY_PORT: String(port),
      CLAWFLEET_GATEWAY_METRICS_PORT: String(metricsPort),
      CLAWFLEET_ROUTER_HOST: '127.0.0.1',
      CLAWFLEET_AWS_CREDENTIALS: 'embedded',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const stream of [child.stdout!, child.stderr!])
    stream.on('data', (c: Buffer) => (output += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`gateway exited: ${output}`);
      return (await fetch(`${url}/healthz`).catch(() => null))?.ok ? true : undefined;
    },
    60_000,
    'the gateway process answering /healthz',
  );
  return { child, url, exited: new Promise((resolve) => child.once('exit', resolve)) };
}

describe('model gateway process: killed mid-stream, a retried request is counted once', function () {
  this.timeout(180_000);
  let h: GatewayHarness;
  const stops: (() => void)[] = [];

  before(async () => {
    h = await startGatewayHarness();
  });
  after(async () => {
    for (const stop of stops) stop();
    await h?.close();
  });

  it('SIGKILL after the usage chunk passed, then the same request again: one request’s tokens, in DynamoDB and Redis', async () => {
    const bearer = await h.tenant('gw-crash', 'standard');
    const [port, metricsPort] = [await freePort(), await freePort()];
    const first = await startGatewayProcess(h, port, metricsPort);
    stops.push(() => first.child.kill('SIGKILL'));
    const day = quotaWindows(Date.now()).day;
    const usage = async () => (await sumUsage(h.dynamo.doc, h.dynamo.tables.usage, 'gw-crash', day, day))[0];

    // The upstream holds the stream open after its usage chunk: the gateway has counted, the client is still waiting.
    h.llm.setStream({ beforeDoneMs: 10_000 });
    const response = await chat(first.url, bearer, { stream: true, requestId: 'crash-req-1' });
    const reader = response.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    let seen = '';
    while (!seen.includes('"usage"')) seen += new TextDecoder().decode((await reader.read()).value);
    await eventually(async () => ((await usage())?.tokens ? true : undefined), 10_000, 'the usage record');
    first.child.kill('SIGKILL');
    await first.exited;
    await assert.rejects(async () => {
      while (!(await reader.read()).done);
      throw new Error('the stream ended normally'); // it must not: the process died mid-stream
    }, /terminated|other side closed|SocketError|ECONNRESET|stream ended normally/);
    const counted = (await usage())!;

    h.llm.setStream({});
    const second = await startGatewayProcess(h, port, metricsPort);
    stops.push(() => second.child.kill('SIGKILL'));
    const retried = await chat(second.url, bearer, { stream: true, requestId: 'crash-req-1' });
    assert.equal(retried.status, 200);
    assert.match(await retried.text(), /\[DONE\]/);
    await new Promise((r) => setTimeout(r, 500)); // a double count would be written by now
    const after = (await usage())!;
    assert.equal(after.models[0]?.requests, 1, 'one request');
    assert.equal(after.tokens, counted.tokens, 'its tokens once');
    const redisDay = await h.redis.client().get(`clawfleet:gw:gw-crash:tpd:${day}`);
    assert.equal(Number(redisDay), counted.tokens, 'and once in the quota counter');

    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(
      metrics,
      /clawfleet_gateway_tokens_total\{tier="standard",model="fake\/fake-model",kind="input"\} \d+/,
    );
    assert.doesNotMatch(metrics, /gw-crash/, 'no tenant label');
    second.child.kill('SIGTERM');
    await second.exited;
  });
});
