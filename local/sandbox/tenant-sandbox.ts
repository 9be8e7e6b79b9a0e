/**
 * The sandbox of one local slot, built from Linux primitives by the runtime
 * (root): `nsenter` into the slot's host-owned network namespace (netns.ts),
 * `setpriv` to the slot's own uid and gid with no supplementary groups, no
 * new privileges and no capabilities, then bubblewrap (unprivileged, in a
 * user namespace mapping that uid to itself) for the mount, PID, IPC and UTS
 * namespaces and the mount view; a shell first moves itself into the slot's
 * cgroups (cgroup.ts), which every descendant inherits; bubblewrap loads
 * the seccomp filter (seccomp.ts) last. docs/security.md
 * says why these and what each stops.
 *
 * The mount view (mount-view.ts): `/usr` (Node, the system), the supervisor's
 * code and node_modules, the OpenClaw install and the runtime's heartbeat,
 * all read-only; the tenant's own root dir read-write; a fresh /tmp, /dev
 * and /proc; a generated /etc (hosts, passwd, CA certificates); the egress
 * sockets. The data dir, keys, repo, other tenants and /root are not there.
 */
import type { SnapshotGuardSpec } from './snapshot-egress.js';
import { chown, mkdir, readdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { SandboxCgroup } from './cgroup.js';
import { hostsFileFor, insideForwards, type EgressRoute } from './egress.js';
import type { EgressHost } from './egress-keeper-client.js';
import { addLocalAddress, ensureNetns, netnsPath, removeNetns } from './netns.js';
import { SlotMount } from './slot-mount.js';
import { seccompProgram } from './seccomp.js';
import type { SandboxLimits } from './limits.js';
import type { SandboxFacts } from './sandbox-view.js';
import { bwrapArgs, SECCOMP_FD, type SandboxLaunch } from './mount-view.js';

/** How often the OOM-kill counter is read: a kill inside ends the whole tenant. */
const OOM_POLL_MS = 500;

/** The fd the supervisor's listening socket has inside (supervisor-config.ts reads CLAWFLEET_LISTEN_FD). */
export const LISTEN_FD = 3;

/** The filter (seccomp.ts), in the sandbox's root-owned dir (bubblewrap reads it from SECCOMP_FD). */
const SECCOMP_FILE = 'seccomp.bpf';

export interface SandboxIdentity {
  /** `<stack>-<slot>`: the netns is `cf-<name>`, the cgroups `clawfleet/<name>`. */
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** Who serves the host end of the egress (the egress keeper), and what it checks besides the routes. */
export interface EgressBinding {
  readonly host: EgressHost;
  readonly guards: readonly SnapshotGuardSpec[];
}

export class TenantSandbox {
  readonly cgroup: SandboxCgroup;
  readonly netns: string;
  /** Where a pre-built sandbox's tenant dir is mounted once it is claimed. */
  readonly mount: SlotMount;
  private readonly egressDir: string;
  private listener: Server | undefined;

  constructor(
    readonly identity: SandboxIdentity,
    /** Root-owned: the egress sockets and the generated /etc files. */
    readonly dir: string,
    public limits: SandboxLimits,
    readonly routes: readonly EgressRoute[],
    private readonly egress: EgressBinding,
  ) {
    this.cgroup = new SandboxCgroup(`clawfleet/${identity.name}`);
    this.netns = `cf-${identity.name}`;
    this.mount = new SlotMount(join(dir, 'tenants'));
    this.egressDir = join(dir, 'egress');
  }

  /** Everything but the process and the tenant's files: cgroups, netns, egress, /etc files. */
  async prepare(launch: SandboxLaunch): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o755 });
    // Independent host-side pieces, built at once: a launch waits for the slowest, not the sum.
    await Promise.all([
      this.cgroup.create(this.limits),
      ensureNetns(this.netns).then(() => this.startEgress()),
    ]);
    const { uid, gid } = this.identity;
    await writeFile(join(this.dir, 'passwd'), `tenant:x:${uid}:${gid}:tenant:${launch.home}:/bin/sh\n`);
    await writeFile(join(this.dir, 'group'), `tenant:x:${gid}:\n`);
    await writeFile(join(this.dir, SECCOMP_FILE), seccompProgram());
  }

  /** A claimed pre-built sandbox takes the claiming tenant's tier limits. */
  async setLimits(limits: SandboxLimits): Promise<void> {
    await this.cgroup.applyLimits(limits);
    this.limits = limits;
  }

  /** The tenant's dir, and everything in it, owned by the sandbox's uid. */
  async own(rootDir: string): Promise<void> {
    await chownTree(rootDir, this.identity.uid, this.identity.gid);
  }

  /**
   * The egress sockets, served by the egress keeper (for a sandbox adopted
   * from an earlier runtime: still served, unless the keeper died with it),
   * and the addresses they need inside.
   */
  async startEgress(): Promise<void> {
    await this.egress.host.open({ dir: this.egressDir, routes: this.routes, guards: this.egress.guards });
    for (const route of this.routes)
      if (!route.insideAddress.startsWith('127.')) await addLocalAddress(this.netns, route.insideAddress);
    await writeFile(join(this.dir, 'hosts'), hostsFileFor(this.routes));
  }

  /** Opens the supervisor's listening socket in the host's namespace; its fd goes to the child at LISTEN_FD. */
  async listen(at: { readonly host: string; readonly port: number }): Promise<number> {
    const server = createServer();
    server.on('connection', (socket) => socket.destroy()); // only in the instant before the handover
    await new Promise<void>((resolve, reject) =>
      server.once('error', reject).listen({ host: at.host, port: at.port }, resolve),
    );
    this.listener = server;
    return (server as unknown as { _handle: { fd: number } })._handle.fd;
  }

  /** After the spawn: the child holds the socket; ours closes so only the supervisor accepts. */
  releaseListener(): void {
    this.listener?.close();
    this.listener = undefined;
  }

  /** The environment the supervisor needs to use the sandbox's sockets. */
  supervisorEnv(): Record<string, string> {
    return {
      CLAWFLEET_LISTEN_FD: String(LISTEN_FD),
      CLAWFLEET_SANDBOX_EGRESS: JSON.stringify(insideForwards(this.egressDir, this.routes)),
    };
  }

  /**
   * `file` and `args` for spawn: a shell joins the cgroups, nsenter the netns,
   * bubblewrap (still root, keeping only what setpriv needs) builds the
   * namespaces and the mount view, and setpriv inside becomes the slot's uid.
   */
  command(launch: SandboxLaunch, command: readonly string[]): { file: string; args: string[] } {
    const { uid, gid } = this.identity;
    const identity = ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--no-new-privs'];
    const caps = ['--inh-caps=-all', '--bounding-set=-all'];
    return {
      file: 'sh',
      args: [
        '-c',
        // fd 4: the seccomp filter bubblewrap loads (--seccomp 4) just before it execs setpriv.
        `${this.cgroup.enterCommand()} && exec ${SECCOMP_FD}<${join(this.dir, SECCOMP_FILE)} && exec "$@"`,
        'sandbox',
        'nsenter',
        `--net=${netnsPath(this.netns)}`,
        '--',
        ...bwrapArgs(this.dir, launch),
        '--',
        ...identity,
        ...caps,
        '--',
        ...command,
      ],
    };
  }

  /** What `tenant get` shows of it (sandbox-view.ts). */
  facts(): SandboxFacts {
    return { uid: this.identity.uid, limits: this.limits, memoryCgroup: this.cgroup.dir('memory') };
  }

  /**
   * Ends the whole tenant when the kernel OOM-killed anything in it: the
   * supervisor may survive its OpenClaw's kill, but the tenant went over its
   * limit, and the runtime reports it lost (`out-of-memory`). Until `exited`.
   */
  endWhenOutOfMemory(exited: Promise<unknown>, onKill: (kills: number) => void): void {
    const timer = setInterval(() => {
      void this.cgroup.oomKills().then((kills) => {
        if (kills <= 0) return;
        onKill(kills);
        void this.cgroup.killAll();
      });
    }, OOM_POLL_MS);
    timer.unref();
    void exited.then(() => clearInterval(timer));
  }

  /** Once its processes are gone: the next launch in the slot builds everything again. */
  async close(): Promise<void> {
    this.releaseListener();
    await this.egress.host.close(this.egressDir);
    await this.cgroup.remove();
    await this.mount.release();
    await removeNetns(this.netns);
  }
}

/** The tenant dir and everything in it (logs kept from earlier wakes) owned by the sandbox's uid. */
async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await chown(path, uid, gid);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, uid, gid);
    else await chown(child, uid, gid);
  }
}
