/**
 * An open-loop load generator for the fixed-rate runs of `bench:router`.
 * autocannon's `overallRate` is a per-second quota: each connection fires
 * back to back until its share is spent, then idles until the next second,
 * so "1,000 req/s" is really full load for a fraction of each second (and
 * its coordinated-omission correction assumes a 1 ms interval per
 * connection, inflating the tail further). Here requests are sent evenly,
 * one every 1/rate seconds, whether or not earlier ones have answered, and
 * each latency is measured from the moment the request was due, so a stall
 * in the server shows up in full in the percentiles.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

export interface PacedRun {
  /** Completed requests per second over the run. */
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** Non-2xx answers, transport errors, and requests not answered by the end of the grace period. */
  readonly errors: number;
}

export interface PacedLoad {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Requests per second, evenly spaced. */
  readonly rate: number;
  readonly durationS: number;
}

/** Longest a request may take and still count as answered. */
const GRACE_MS = 2_000;

export async function pacedLoad(load: PacedLoad): Promise<PacedRun> {
  const url = new URL(load.url);
  // Enough connections that the client never queues at the rates measured here.
  const pool = new Pool(url.origin, { connections: 128, pipelining: 1, keepAliveTimeout: 30_000 });
  const latencies: number[] = [];
  let errors = 0;
  const total = Math.round(load.rate * load.durationS);
  const interval = 1000 / load.rate;
  const inFlight = new Set<Promise<void>>();
  const send = (due: number) => {
    const request = pool
      .request({
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...load.headers },
        body: load.body,
      })
      .then(async (response) => {
        await response.body.dump();
        if (response.statusCode >= 200 && response.statusCode < 300) latencies.push(performance.now() - due);
        else errors++;
      })
      .catch(() => {
        errors++;
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  };

  const start = performance.now();
  let sent = 0;
  // A 1 ms timer cannot hit every slot exactly; each tick sends every request that is due by now.
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) send(start + sent++ * interval);
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
      else resolve();
    };
    tick();
  });
  const elapsedS = (performance.now() - start) / 1000;
  await Promise.race([Promise.all(inFlight), new Promise((resolve) => setTimeout(resolve, GRACE_MS))]);
  errors += inFlight.size;
  await pool.destroy();
  latencies.sort((x, y) => x - y);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { rps: latencies.length / elapsedS, p50: at(0.5), p99: at(0.99), errors };
}
