/**
 * bench:sandbox (m): a streamed chat completion from the fake model, direct and through the sandbox's egress
 * path (the supervisor's inside forwarder → unix socket → the runtime's egress proxy → the model), the two
 * alternating in one process. The stream pauses 2 ms after its first chunk and before `[DONE]`, as a model's
 * chunks come apart in time: on a TCP leg with Nagle's algorithm each later chunk waits for the reader's
 * delayed ACK (~40 ms). No namespaces: this measures the relay's hops and socket options, not the boundary.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeLlm } from '../fakes/fake-llm.js';
import { EgressProxy, egressRoutes } from '../local/sandbox/egress.js';
import { startEgressForwards } from '../supervisor/sandbox-egress.js';

async function completion(base: string): Promise<number> {
  const t0 = performance.now();
  const response = await fetch(`${base}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'fake-model',
      stream: true,
      messages: [{ role: 'user', content: 'hello' }],
    }),
  });
  await response.text();
  return performance.now() - t0;
}

/** `runs` completions each way, alternating; ms. */
export async function egressModelCalls(runs: number): Promise<{ direct: number[]; egress: number[] }> {
  const llm = await startFakeLlm();
  llm.setStream({ afterFirstChunkMs: 2, beforeDoneMs: 2 });
  const dir = await mkdtemp(join(tmpdir(), 'clawfleet-bench-egress-'));
  const proxy = new EgressProxy(dir, egressRoutes([llm.url], [new URL(llm.url).host]));
  await proxy.start();
  // Inside a sandbox the forwarder listens at the model's own address; here any free port stands in for it.
  const [forward] = await startEgressForwards(
    proxy.forwards().map((f) => ({ ...f, host: '127.0.0.1', port: 0 })),
  );
  const via = `http://127.0.0.1:${(forward!.address() as AddressInfo).port}/v1`;
  const direct: number[] = [];
  const egress: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      direct.push(await completion(llm.url));
      egress.push(await completion(via));
    }
  } finally {
    forward!.close();
    await proxy.close();
    await llm.close();
    await rm(dir, { recursive: true, force: true });
  }
  return { direct, egress };
}
