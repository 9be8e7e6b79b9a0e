/**
 * Retiring OpenClaw's idle worker threads from outside, for `bench:memory`.
 *
 * An awake gateway holds ~15 worker-thread isolates (SQLite stores, session
 * transcripts, state reads, archive, memory index...), each with its own heap
 * and its own copy of the code it loaded: most of a tenant's memory
 * (docs/benchmarks.md, `bench:memory`). OpenClaw keeps them for a 30-minute
 * retention window after use. Its own answer to critical memory pressure is
 * the `openclaw.memory.critical` diagnostics channel: every worker owner
 * subscribes and retires its idle workers through its usual cleanup, active
 * operations keep their workers, nothing stored changes, and a worker is
 * started again at its next use (its `docs/gateway/diagnostics.md`). It only
 * fires past ~3 GB of RSS, which a tenant never reaches. `bench:memory`'s
 * `retire` variant publishes it itself after the turns, to measure what an
 * idle-time retirement would save and what it costs the next turn; the
 * supervisor does not use it (docs/benchmarks.md: ~84 MB freed 10 s after a
 * turn, 29 MB after 2 minutes, when OpenClaw's own idle timeout has retired
 * most workers; the next turn seconds slower).
 *
 * How: a preload (`--import` of a `data:` module, so it needs no file inside
 * the sandbox or the image) that, in the gateway's main thread only, turns a
 * signal into that publish. SIGURG because its default action is to ignore
 * it (a gateway started without the preload is unharmed) and neither Node nor
 * OpenClaw uses it: SIGUSR1 starts Node's inspector and OpenClaw restarts on
 * SIGUSR2.
 */

export const RETIRE_IDLE_WORKERS_SIGNAL = 'SIGURG' as const;

/** The diagnostics channel OpenClaw 2026.9.x's worker owners retire idle workers on. */
export const MEMORY_CRITICAL_CHANNEL = 'openclaw.memory.critical';

const BROADCAST_CHANNEL = 'clawfleet.retire-idle-workers';

/** A full collection in the main thread waits this long for the retired workers to end (their close is async). */
const MAIN_GC_DELAY_MS = 3_000;

/**
 * After the retirement every isolate left (the main thread and the workers still in use) runs a full garbage
 * collection: an idle gateway otherwise keeps hundreds of MB of garbage until its next allocation burst. The
 * workers hear it on a BroadcastChannel (unref'd, so it never keeps one alive); `gc` is reached through V8's
 * `--expose-gc`, set at run time so it is not a process flag that OpenClaw or its children would see.
 */
const PRELOAD_SOURCE = [
  'import { channel } from "node:diagnostics_channel";',
  'import { setFlagsFromString } from "node:v8";',
  'import { runInNewContext } from "node:vm";',
  'import { isMainThread } from "node:worker_threads";',
  'setFlagsFromString("--expose-gc");',
  'const gc = runInNewContext("gc");',
  `const idle = new BroadcastChannel(${JSON.stringify(BROADCAST_CHANNEL)});`,
  'idle.unref();',
  // Worker threads inherit the preload: only the main thread owns the pools and receives signals.
  'if (isMainThread) {',
  `  process.on(${JSON.stringify(RETIRE_IDLE_WORKERS_SIGNAL)}, () => {`,
  `    channel(${JSON.stringify(MEMORY_CRITICAL_CHANNEL)}).publish(undefined);`,
  '    idle.postMessage("gc");',
  `    setTimeout(gc, ${MAIN_GC_DELAY_MS}).unref();`,
  '  });',
  '} else idle.onmessage = () => gc();',
].join('\n');

/** Node flags that install the preload; they go before OpenClaw's entry script. */
export function retireIdleWorkersFlags(): string[] {
  return [`--import=data:text/javascript,${encodeURIComponent(PRELOAD_SOURCE)}`];
}

/** Asks the gateway to retire its idle workers; false if it is gone. */
export function retireIdleWorkers(gatewayPid: number): boolean {
  try {
    process.kill(gatewayPid, RETIRE_IDLE_WORKERS_SIGNAL);
    return true;
  } catch {
    return false;
  }
}
