/**
 * `npm run bench:router`: what the router's hot path costs. Three targets,
 * one run, same payload (a Telegram text update):
 *   (a) direct to a stand-in supervisor that acks at once,
 *   (b) through a minimal undici pass-through proxy (the floor for any proxy),
 *   (c) through the router hot path: secret check against cached hashes,
 *       Redis rate limit, Redis endpoint lookup, forward, durable-ack check.
 * Prints throughput and latency at full load, the c/b ratio, the p99 added
 * over (a) at a fixed 1,000 req/s, and the highest rate (c) sustains.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startTestRedis } from '../test/helpers/redis.js';

const TARGETS = fileURLToPath(new URL('./router-targets.ts', import.meta.url));
const DURATION_S = Number(process.env['BENCH_DURATION'] ?? 10);
const CONNECTIONS = 32;

interface Run {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

function startTarget(args: string[]): Promise<{ child: ChildProcess; info: Record<string, string> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', TARGETS, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
    createInterface({ input: child.stdout }).once('line', (line) =>
      resolve({ child, info: JSON.parse(line) as Record<string, string> }),
    );
  });
}

async function load(url: string, headers: Record<string, string>, body: string, rate?: number): Promise<Run> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    connections: rate ? 16 : CONNECTIONS,
    duration: DURATION_S,
    ...(rate && { overallRate: rate }),
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

/** Highest offered rate (in steps) at which (c) keeps up with no errors and p99 under 50 ms. */
async function maxSustained(send: (rate: number) => Promise<Run>, ceiling: number): Promise<number> {
  let best = 0;
  for (const rate of [1000, 2000, 3000, 4000, 5000, 6000, 8000].filter((r) => r <= ceiling * 1.1)) {
    const run = await send(rate);
    if (run.errors > 0 || run.rps < rate * 0.95 || run.p99 > 50) break;
    best = rate;
  }
  return best;
}

const row = (name: string, r: Run) =>
  `${name.padEnd(34)} ${r.rps.toFixed(0).padStart(8)} req/s  p50 ${String(r.p50).padStart(4)} ms  p99 ${String(r.p99).padStart(4)} ms  errors ${r.errors}`;

async function main(): Promise<void> {
  const redis = await startTestRedis();
  const children: ChildProcess[] = [];
  try {
    const up = await startTarget(['upstream']);
    children.push(up.child);
    const front = await startTarget(['front', up.info['upstream']!, redis.url]);
    children.push(front.child);
    const { upstream, proxy, router, tenantId, secret, supervisorToken } = {
      ...up.info,
      ...front.info,
    } as Record<string, string>;
    const body = JSON.stringify({
      update_id: 1,
      message: { message_id: 1, date: 1_700_000_000, chat: { id: 42, type: 'private' }, text: 'hello' },
    });
    const direct = { authorization: `Bearer ${supervisorToken}` };
    const viaRouter = { 'x-telegram-bot-api-secret-token': secret! };
    const a = `${upstream}/deliver/telegram`;
    const b = `${proxy}/deliver/telegram`;
    const c = `${router}/tg/${tenantId}`;

    await load(c, viaRouter, body, 500); // warm-up: JIT, pools, lookup cache
    console.log(`router hot-path benchmark, ${DURATION_S}s per run, ${CONNECTIONS} connections at full load`);
    const full = {
      a: await load(a, direct, body),
      b: await load(b, direct, body),
      c: await load(c, viaRouter, body),
    };
    console.log(row('(a) direct to upstream', full.a));
    console.log(row('(b) minimal undici proxy', full.b));
    console.log(row('(c) router hot path', full.c));
    console.log(`c/b throughput ratio: ${(full.c.rps / full.b.rps).toFixed(2)} (target >= 0.6)`);

    const fixedA = await load(a, direct, body, 1000);
    const fixedC = await load(c, viaRouter, body, 1000);
    console.log(row('(a) at 1,000 req/s', fixedA));
    console.log(row('(c) at 1,000 req/s', fixedC));
    console.log(`added p99 at 1,000 req/s: ${fixedC.p99 - fixedA.p99} ms (target <= 3 ms)`);

    const sustained = await maxSustained((rate) => load(c, viaRouter, body, rate), full.c.rps);
    console.log(`max sustained (c), no errors, p99 <= 50 ms: ${sustained} req/s (target >= 3,000)`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await redis.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
