/**
 * The end of a local stack: a worker that stops hands its tenants over
 * (they keep serving for the next worker), so the stack that owns the data
 * dir, once it stops for good, removes the runtime's heartbeat: every
 * supervisor drains itself within one heartbeat period (final snapshot,
 * OpenClaw stopped) while S3 is still up. Whatever has not exited by the
 * deadline is killed, so nothing outlives the stack: then the sandboxes'
 * egress keeper, and its mounts (tenant disks, pre-built sandboxes) last.
 */
import { rm, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { killProcessesOf, processesMentioning } from './process-sweep.js';
import { keeperMarker } from './sandbox/egress-keeper-client.js';
import { unmountUnder } from './sandbox/leftover-mounts.js';

export async function releaseTenants(dataDir: string, timeoutMs = 60_000): Promise<void> {
  const heartbeat = join(dataDir, 'runtime.heartbeat');
  // A sandbox has the file itself bound (local/sandbox/), which outlives its removal: make it stale first.
  await utimes(heartbeat, 0, 0).catch(() => undefined);
  await rm(heartbeat, { force: true });
  const markers = [join(dataDir, 'tenants'), `CLAWFLEET_WARM_POOL=${dataDir}`];
  const remaining = async () => (await Promise.all(markers.map(processesMentioning))).flat();
  const deadline = Date.now() + timeoutMs;
  while ((await remaining()).length > 0 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 250));
  for (const marker of markers) await killProcessesOf(marker);
  // The sandboxes' egress keeper (sandbox/egress-keeper.ts) last: the drains above saved their snapshots through it.
  await killProcessesOf(keeperMarker(dataDir));
  await unmountUnder(dataDir);
}
