/**
 * `npm run bench:gateway`: what the model gateway costs on streamed
 * completions from a fake upstream (bench/gateway-targets.ts), all in one run:
 *   (a) direct to the upstream,
 *   (b) through a minimal undici pass-through proxy,
 *   (c) through the real gateway process (gateway/server.ts): model-token
 *       auth, tier allowlist, Redis quota admission and release, usage read
 *       from the stream, Redis counters and a DynamoDB (dynalite) record per
 *       request.
 * `BENCH_CONCURRENCY` (default 200) streams run at once in a closed loop for
 * `BENCH_DURATION` seconds (default 8) per target; rounds (`BENCH_ROUNDS`,
 * default 3) interleave a, b, c and are summarized by their medians.
 * Measures: first-chunk latency (request start to the first body bytes) p50
 * and p99, and completed streams per second. Targets (issue 12): p99 first
 * chunk of c at most 2 ms over a; throughput c/b at least 0.8. Writes
 * bench/results/gateway.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { configToEnv, loadConfig, masterKeyPath, modelApiKeyPath, withOverrides } from '../common/config.js';
import { FileMasterKey } from '../common/crypto.js';
import { nodeArgs, PACKAGE_ROOT } from '../common/entry-points.js';
import { modelBearer } from '../common/model-token.js';
import { freePort } from '../dev/ports.js';
import { DynamoRegistry } from '../registry/dynamo-registry.js';
import { createDocumentClient } from '../registry/document-client.js';
import { DynamoSecretStore } from '../registry/secret-store.js';
import { ensureTables, tableNames } from '../registry/tables.js';
import { startTestRedis } from '../test/helpers/redis.js';
import { CONCURRENCY, DURATION_MS, load, loadBrief, percentile, type Run } from './gateway-load.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const TENANT = 'bench-gateway';
const CPU_PROF_DIR = process.env['BENCH_CPU_PROF'];
const median = (values: number[]) =>
  percentile(
    [...values].sort((x, y) => x - y),
    50,
  );

/** The benchmark's own helper processes (bench/ is never built). */
function spawnEntry(entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** The real gateway entry point, the way the dev stack starts it (common/entry-points.ts). */
function spawnGateway(env: NodeJS.ProcessEnv): ChildProcess {
  // BENCH_CPU_PROF=<dir>: a V8 CPU profile of the gateway process (open it in Chrome DevTools).
  const prof = CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF_DIR] : [];
  return spawn(process.execPath, [...prof, ...nodeArgs('gateway/server')], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

async function firstLine(child: ChildProcess): Promise<string> {
  for await (const line of createInterface({ input: child.stdout! })) return line;
  throw new Error('child exited before it printed its ports');
}

async function waitHealthy(url: string): Promise<void> {
  for (let i = 0; i < 300; i += 1) {
    if ((await fetch(`${url}/healthz`).catch(() => null))?.ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} never became healthy`);
}

async function main(): Promise<void> {
  const [redis, dataDir] = await Promise.all([
    startTestRedis(),
    mkdtemp(join(tmpdir(), 'clawfleet-bench-gw-')),
  ]);
  const children: ChildProcess[] = [];
  const dynamoClient: { current?: DynamoDBClient } = {};
  try {
    const dynaliteProcess = spawnEntry('bench/gateway-dynalite.ts', {});
    children.push(dynaliteProcess);
    const { port: dynamoPort } = JSON.parse(await firstLine(dynaliteProcess)) as { port: number };
    const dynamo = {
      endpoint: `http://127.0.0.1:${dynamoPort}`,
      tables: tableNames('bench-'),
    };
    dynamoClient.current = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'DYNALITE', secretAccessKey: 'DYNALITE' },
    });
    await ensureTables(dynamoClient.current, dynamo.tables);
    const doc = createDocumentClient(dynamoClient.current);
    const targets = spawnEntry('bench/gateway-targets.ts', {});
    children.push(targets);
    const ports = JSON.parse(await firstLine(targets)) as { upstream: number; proxy: number };
    const upstreamUrl = `http://127.0.0.1:${ports.upstream}/v1`;
    const config = withOverrides(loadConfig({}), {
      common: { dataDir, logLevel: 'warn' },
      redis: { url: redis.url },
      aws: { dynamodbEndpoint: dynamo.endpoint, tablePrefix: dynamo.tables.tenants.replace(/tenants$/, '') },
      model: { provider: 'bench', baseUrl: upstreamUrl },
      gateway: { host: '127.0.0.1', port: await freePort(), metricsPort: await freePort() },
      router: { host: '127.0.0.1' },
    });
    await mkdir(dirname(modelApiKeyPath(config)), { recursive: true, mode: 0o700 });
    await writeFile(modelApiKeyPath(config), 'sk-bench-platform\n', { mode: 0o600 });
    const masterKey = await FileMasterKey.open(masterKeyPath(config), { create: true });
    const registry = new DynamoRegistry({ doc, tables: dynamo.tables });
    const secrets = new DynamoSecretStore({ doc, tables: dynamo.tables, masterKey });
    const unlimited = 1_000_000_000;
    await registry.create({
      tenantId: TENANT,
      displayName: TENANT,
      tier: 'pro',
      openclawVersion: '2026.9.6',
      quotas: {
        tokensPerMinute: unlimited,
        tokensPerDay: unlimited,
        tokensPerMonth: unlimited,
        concurrentModelRequests: CONCURRENCY * 2,
      },
    });
    await secrets.ensureDerived(TENANT);
    const bearer = modelBearer(TENANT, await secrets.resolve(TENANT, 'model-token'));
    const gateway = spawnGateway({ ...configToEnv(config), CLAWFLEET_AWS_CREDENTIALS: 'embedded' });
    children.push(gateway);
    const gatewayUrl = `http://127.0.0.1:${config.gateway.port}`;
    await waitHealthy(gatewayUrl);

    const urls = {
      a: [upstreamUrl, 'Bearer sk-bench-platform'],
      b: [`http://127.0.0.1:${ports.proxy}/v1`, 'Bearer sk-bench-platform'],
      c: [`${gatewayUrl}/v1`, `Bearer ${bearer}`],
    } as const;
    // Warm-up: connections, JIT, the gateway's caches and Redis scripts.
    for (const [url, auth] of Object.values(urls)) await loadBrief(url, auth);
    const runs: Record<'a' | 'b' | 'c', Run[]> = { a: [], b: [], c: [] };
    const loadBefore = loadavg()[0]!;
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const name of ['a', 'b', 'c'] as const) {
        const run = await load(urls[name][0], urls[name][1]);
        runs[name].push(run);
        console.log(
          `round ${round} ${name}: ${run.streamsPerSecond.toFixed(0)} streams/s, first chunk p50 ${run.firstChunkP50Ms.toFixed(2)} ms p99 ${run.firstChunkP99Ms.toFixed(2)} ms, errors ${run.errors}`,
        );
      }
    }
    const summary = (name: 'a' | 'b' | 'c') => ({
      streamsPerSecond: median(runs[name].map((r) => r.streamsPerSecond)),
      firstChunkP50Ms: median(runs[name].map((r) => r.firstChunkP50Ms)),
      firstChunkP99Ms: median(runs[name].map((r) => r.firstChunkP99Ms)),
      errors: runs[name].reduce((n, r) => n + r.errors, 0),
      runs: runs[name],
    });
    const [a, b, c] = [summary('a'), summary('b'), summary('c')];
    const addedPerRound = runs.c.map((r, i) => r.firstChunkP99Ms - runs.a[i]!.firstChunkP99Ms);
    const ratioPerRound = runs.c.map((r, i) => r.streamsPerSecond / runs.b[i]!.streamsPerSecond);
    const result = {
      when: new Date().toISOString(),
      concurrency: CONCURRENCY,
      durationS: DURATION_MS / 1000,
      rounds: ROUNDS,
      loadAverage: { before: loadBefore, after: loadavg()[0] },
      firstChunkAddedP99Ms: Number(median(addedPerRound).toFixed(2)),
      firstChunkAddedP99MsPerRound: addedPerRound.map((x) => Number(x.toFixed(2))),
      throughputRatioCB: Number(median(ratioPerRound).toFixed(3)),
      throughputRatioCBPerRound: ratioPerRound.map((x) => Number(x.toFixed(3))),
      targets: { firstChunkAddedP99Ms: 2, throughputRatioCB: 0.8 },
      a,
      b,
      c,
    };
    console.log(
      `\nfirst chunk p99 added by the gateway over direct: ${result.firstChunkAddedP99Ms} ms (target ≤ 2; rounds ${result.firstChunkAddedP99MsPerRound.join(', ')})`,
    );
    console.log(
      `throughput gateway / minimal proxy: ${result.throughputRatioCB} (target ≥ 0.8; rounds ${result.throughputRatioCBPerRound.join(', ')})`,
    );
    const out = join(REPO, 'bench', 'results', 'gateway.json');
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`written to ${out}`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    dynamoClient.current?.destroy();
    await redis.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
