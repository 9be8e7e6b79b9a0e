/**
 * What the local runtime checks before it launches any sandboxed tenant:
 * every primitive the sandbox is made of. A missing one refuses every launch
 * with one line naming it; running without the sandbox is a setting
 * (CLAWFLEET_LOCAL_SANDBOX=off), never a fallback.
 */
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CGROUP_ROOT, CONTROLLERS } from './cgroup.js';

const run = promisify(execFile);

export class SandboxUnavailable extends Error {}

/** Resolves when every primitive works here; rejects with SandboxUnavailable naming the first that does not. */
export async function checkSandboxPrimitives(uid: number): Promise<void> {
  const missing = (what: string) => new SandboxUnavailable(`local sandbox unavailable: ${what}`);
  if (process.getuid?.() !== 0) throw missing('the local runtime must run as root to build tenant sandboxes');
  for (const tool of ['bwrap', 'setpriv', 'nsenter', 'ip', 'mount', 'mkfs.ext4', 'tune2fs'])
    await run('sh', ['-c', `command -v ${tool}`]).catch(() => {
      throw missing(`${tool} is not installed (apt-get install bubblewrap util-linux iproute2 e2fsprogs)`);
    });
  // The disk budget loop-mounts an image per tenant (tenant-disks.ts).
  await access('/dev/loop-control', constants.W_OK).catch(() => {
    throw missing(
      '/dev/loop-control is missing: no loop devices for the tenant disk budgets (modprobe loop)',
    );
  });
  for (const controller of CONTROLLERS)
    await access(join(CGROUP_ROOT, controller, 'cgroup.procs'), constants.W_OK).catch(() => {
      throw missing(
        `the cgroup v1 ${controller} controller is not mounted writable at ${CGROUP_ROOT}/${controller}`,
      );
    });
  await run('bwrap', [
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-net',
    '--ro-bind',
    '/usr',
    '/usr',
    ...['lib', 'lib64'].flatMap((dir) => ['--symlink', `usr/${dir}`, `/${dir}`]),
    '--cap-drop',
    'ALL',
    '--cap-add',
    'CAP_SETUID',
    '--cap-add',
    'CAP_SETGID',
    '--cap-add',
    'CAP_SETPCAP',
    '--',
    'setpriv',
    `--reuid=${uid}`,
    `--regid=${uid}`,
    '--clear-groups',
    '--no-new-privs',
    '--bounding-set=-all',
    '/usr/bin/true',
  ]).catch((err: unknown) => {
    const detail = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
    throw missing(
      `bubblewrap cannot create PID, IPC, UTS and network namespaces and become uid ${uid}: ${detail}`,
    );
  });
}
