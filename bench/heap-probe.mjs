// Preloaded into OpenClaw by `npm run bench:memory` only (NODE_OPTIONS=--import=<this file>, with
// HEAP_PROBE_DIR set): every second each isolate (the main thread and every worker thread) writes
// process.memoryUsage() and V8's heap spaces to <dir>/<pid>-<threadId>.json, so the bench can split an
// awake gateway's memory into V8 heap, external buffers and the rest. Plain JavaScript: it runs inside
// OpenClaw's Node, without tsx.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapSpaceStatistics } from 'node:v8';
import { threadId } from 'node:worker_threads';

const dir = process.env.HEAP_PROBE_DIR;
if (dir) {
  const file = join(dir, `${process.pid}-${threadId}.json`);
  const write = () => {
    try {
      const usage = process.memoryUsage();
      const spaces = getHeapSpaceStatistics().map((s) => ({
        name: s.space_name,
        size: s.space_size,
        used: s.space_used_size,
      }));
      const script = process.argv[1] ?? '';
      writeFileSync(
        file,
        JSON.stringify({ pid: process.pid, threadId, script, at: Date.now(), ...usage, spaces }),
      );
    } catch {
      // the directory is gone: the bench is over
    }
  };
  write();
  const timer = setInterval(write, 1000).unref();
  // A worker thread that ends takes its report with it (its pid lives on in the gateway's); one terminated
  // from outside never runs this, so the reader also drops reports older than a few seconds.
  process.once('exit', () => {
    clearInterval(timer);
    rmSync(file, { force: true });
  });
}
