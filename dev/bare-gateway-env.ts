/**
 * The environment of an OpenClaw gateway started without a supervisor (the
 * install-time compile-cache warm-up and the boot and memory benchmarks):
 * only its own Node on PATH, and HOME, TMPDIR and state under `root`, so a
 * run reads nothing of the host's.
 */
import { dirname, join } from 'node:path';

export function bareGatewayEnv(node: string, root: string, stateDir: string): Record<string, string> {
  return {
    PATH: `${dirname(node)}:/usr/bin:/bin`,
    HOME: join(root, 'home'),
    TMPDIR: join(root, 'tmp'),
    LANG: 'C.UTF-8',
    OPENCLAW_STATE_DIR: stateDir,
  };
}
