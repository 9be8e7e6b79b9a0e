/**
 * `npm run bench:sandbox-hot`: the hot path of a real OpenClaw tenant with the local sandbox on and off, two
 * fleets in one process, deliveries alternating between them. Per delivery: router POST → OpenClaw's durable
 * ack (what bench:wake's (c) times), and POST → the reply at the fake Bot API (a model turn: its model call
 * and its sendMessage both go through the sandbox's egress). "paced" waits for each reply before the next
 * post; "burst" posts back to back, as bench:wake's (c) does, so turns overlap the next acks. Prints the
 * sandboxed tenant's cpu.stat (CPU quota throttling) before and after each mode. PROBE_RUNS (default 20).
 */
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { telegramUpdate } from '../fakes/fake-telegram.js';
import { startFleet } from '../test/local/fleet.js';
import { startFleetRouter } from '../test/local/fleet-router.js';
import { quantile } from './stats.js';

const RUNS = Number(process.env['PROBE_RUNS'] ?? 20);
const TENANT = 'bench-hot';
type Fleet = Awaited<ReturnType<typeof startFleet>>;

async function subject(fleet: Fleet, router: Awaited<ReturnType<typeof startFleetRouter>>) {
  const { webhookSecret, botToken } = await fleet.registerTenant(TENANT);
  let updateId = 1;
  const post = async (): Promise<{ ack: number; reply: Promise<number> }> => {
    const id = updateId++;
    const text = `bench message ${id}`;
    const t0 = performance.now();
    const replied = fleet.telegram.waitFor(
      (c) => c.token === botToken && c.method === 'sendMessage' && JSON.stringify(c.params).includes(text),
      180_000,
    );
    const response = await router.telegram(TENANT, webhookSecret, telegramUpdate({ updateId: id, text }));
    if (response.status !== 200) throw new Error(`router answered ${response.status}`);
    const ack = performance.now() - t0;
    return { ack, reply: replied.then(() => performance.now() - t0) };
  };
  const wake = async () => {
    const { reply } = await post();
    await reply;
  };
  return { post, wake };
}

async function throttled(fleet: Fleet): Promise<string> {
  const sandbox = fleet.adapters.localRuntime?.sandboxOf(TENANT);
  if (!sandbox) return 'n/a';
  return (await readFile(`${sandbox.cgroup.dir('cpu')}/cpu.stat`, 'utf8')).replace(/\n/g, ' ');
}

const fmt = (v: number[]) =>
  `median ${quantile(v, 0.5).toFixed(1)} ms (IQR ${quantile(v, 0.25).toFixed(1)}–${quantile(v, 0.75).toFixed(1)})`;

async function main(): Promise<void> {
  const boxed = await startFleet({ capacity: 2 });
  const plain = await startFleet({ capacity: 2, settings: { local: { sandbox: 'off' } } });
  const [boxedRouter, plainRouter] = await Promise.all([startFleetRouter(boxed), startFleetRouter(plain)]);
  try {
    const on = await subject(boxed, boxedRouter);
    const off = await subject(plain, plainRouter);
    let t = performance.now();
    await on.wake();
    console.log(`wake on ${(performance.now() - t).toFixed(0)} ms`);
    t = performance.now();
    await off.wake();
    console.log(`wake off ${(performance.now() - t).toFixed(0)} ms`);
    await new Promise((r) => setTimeout(r, 3000));
    for (const mode of ['paced', 'burst'] as const) {
      const r = {
        onAck: [] as number[],
        offAck: [] as number[],
        onReply: [] as number[],
        offReply: [] as number[],
      };
      const before = await throttled(boxed);
      const loads: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        loads.push(loadavg()[0]!);
        const order =
          i % 2
            ? ([
                ['off', off],
                ['on', on],
              ] as const)
            : ([
                ['on', on],
                ['off', off],
              ] as const);
        const pending: Promise<void>[] = [];
        for (const [name, s] of order) {
          const { ack, reply } = await s.post();
          (name === 'on' ? r.onAck : r.offAck).push(ack);
          const done = reply.then((ms) => void (name === 'on' ? r.onReply : r.offReply).push(ms));
          if (mode === 'paced') await done;
          else pending.push(done);
        }
        await Promise.all(pending);
      }
      console.log(`${mode}, load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`);
      console.log(`  ack   on  ${fmt(r.onAck)}   off ${fmt(r.offAck)}`);
      console.log(`  reply on  ${fmt(r.onReply)}   off ${fmt(r.offReply)}`);
      console.log(`  cpu.stat before: ${before}\n  cpu.stat after:  ${await throttled(boxed)}`);
    }
  } finally {
    await Promise.all([boxedRouter.close(), plainRouter.close()]);
    await Promise.all([boxed.stop(), plain.stop()]);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
