/**
 * What a tenant sandbox's processes see of the file system: bubblewrap's
 * arguments for the mount view (tenant-sandbox.ts runs them). `/usr`, the
 * supervisor's code and node_modules, the OpenClaw install and the
 * runtime's heartbeat read-only; the tenant's own root dir read-write; a
 * fresh /tmp, /dev and /proc; a generated /etc; the egress sockets.
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The fd bubblewrap reads the seccomp filter (seccomp.ts) from. */
export const SECCOMP_FD = 4;

/** Host paths every sandbox sees read-only when they exist (CA certificates for the HTTPS egress). */
const HOST_READ_ONLY = ['/etc/ssl', '/etc/ca-certificates', '/etc/nsswitch.conf', '/etc/localtime'];

export interface SandboxLaunch {
  /**
   * Writable `[host path, inside path]`: the tenant's root dir at its own path
   * (a cold launch), or the slot's mount point at `<dataDir>/tenants` and the
   * warm process's claim dir (a pre-built sandbox, slot-mount.ts).
   */
  readonly writable: readonly (readonly [string, string])[];
  /** Read-only at the same path inside (code, the OpenClaw install, the heartbeat file). */
  readonly readOnly: readonly string[];
  /** HOME in the sandbox's /etc/passwd. */
  readonly home: string;
}

/** bubblewrap's namespaces, capabilities and mount view for `launch`; `dir` is the sandbox's root-owned dir. */
export function bwrapArgs(dir: string, launch: SandboxLaunch): string[] {
  const args = ['bwrap', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try'];
  args.push('--seccomp', String(SECCOMP_FD));
  args.push('--hostname', 'tenant');
  // Root without a user namespace reads the sources (mode-700 dirs); setpriv inside needs these three, then drops all.
  args.push(
    '--cap-drop',
    'ALL',
    ...['CAP_SETUID', 'CAP_SETGID', 'CAP_SETPCAP'].flatMap((c) => ['--cap-add', c]),
  );
  args.push('--ro-bind', '/usr', '/usr');
  for (const link of ['bin', 'lib', 'lib64', 'sbin'])
    if (existsSync(`/${link}`)) args.push('--symlink', `usr/${link}`, `/${link}`);
  args.push('--proc', '/proc', '--dev', '/dev', '--perms', '1777', '--tmpfs', '/tmp');
  const binds: [string, string, string][] = [];
  for (const path of HOST_READ_ONLY) if (existsSync(path)) binds.push(['--ro-bind', path, path]);
  for (const file of ['hosts', 'passwd', 'group']) binds.push(['--ro-bind', join(dir, file), `/etc/${file}`]);
  for (const path of launch.readOnly) {
    const real = realpathSync(path);
    binds.push(['--ro-bind', real, path]);
    if (real !== path) binds.push(['--ro-bind', real, real]); // a symlinked node_modules resolves to its real place inside too
  }
  binds.push(['--ro-bind', join(dir, 'egress'), join(dir, 'egress')]);
  // The cwd stays the package root, where `--import tsx` resolves.
  for (const [source, target] of launch.writable) binds.push(['--bind', source, target]);
  // bwrap makes missing parents mode 700 (root's), which the tenant's uid could not pass through.
  const parents = new Set(binds.flatMap(([, , target]) => ancestorsOf(target)));
  for (const parent of [...parents].sort()) args.push('--perms', '0755', '--dir', parent);
  for (const bind of binds) args.push(...bind);
  return args;
}

/** `/a/b/c` → `/a`, `/a/b`. */
function ancestorsOf(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return parts.slice(0, -1).map((_, i) => `/${parts.slice(0, i + 1).join('/')}`);
}

/** The parent dirs a read-only path needs inside are made by bwrap; this names the install root of an entry. */
export function installRootOf(entry: string): string {
  // <install>/node_modules/openclaw/openclaw.mjs
  return dirname(dirname(dirname(entry)));
}
