/**
 * The local driver's sandboxes, one per busy slot: slot n runs as uid and
 * gid `uidBase + n`, in network namespace `cf-<stack>-<n>` and cgroups
 * `clawfleet/<stack>-<n>` (the stack is a hash of the data dir, so two
 * stacks on one host never share a namespace or a cgroup). Builds a
 * sandbox for a launch from its plan, and rebuilds the host side (egress
 * sockets) of one an earlier runtime left serving.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PodSpec } from '../../activities/ports.js';
import { PACKAGE_ROOT, RUN_MODE } from '../../common/entry-points.js';
import type { LaunchPlan } from '../../runtime/launch-plan.js';
import type { TenantTier } from '../../workflows/types.js';
import type { SandboxedStart } from '../supervisor-process.js';
import { PermanentPortError } from '../../activities/errors.js';
import { EgressRefused, egressRoutes, type EgressRoute } from './egress.js';
import { checkSandboxPrimitives, SandboxUnavailable } from './preflight.js';
import { installRootOf, TenantSandbox } from './tenant-sandbox.js';
import { TIER_LIMITS, type SandboxLimits } from './limits.js';

export interface LocalSandboxSettings {
  /** Slot n runs as uid/gid uidBase + n. */
  readonly uidBase: number;
  /** `host:port` destinations in refused ranges the tenant may still reach (egress.ts). */
  readonly egressAllow: readonly string[];
  /** Per-tier limits. @default TIER_LIMITS (limits.ts) */
  readonly limits?: Readonly<Record<TenantTier, SandboxLimits>>;
}

/** What the supervisor's code needs from the package, read-only (its import closure, and the built tree). */
const CODE_PATHS =
  RUN_MODE === 'built'
    ? ['package.json', 'node_modules', 'dist']
    : [
        'package.json',
        'tsconfig.json',
        'node_modules',
        'supervisor',
        'common',
        'dev',
        'workflows',
        'snapshots',
        'runtime',
        'registry',
        'telegram',
        'activities',
        'types',
      ];

export class SlotSandboxes {
  private readonly stack: string;
  private checked: Promise<void> | undefined;

  constructor(
    private readonly settings: LocalSandboxSettings,
    private readonly dataDir: string,
  ) {
    this.stack = createHash('sha256').update(dataDir).digest('hex').slice(0, 6);
  }

  /** The preflight, once per runtime; every launch awaits it, so a missing primitive refuses each with its line. */
  check(): Promise<void> {
    this.checked ??= checkSandboxPrimitives(this.settings.uidBase);
    return this.checked;
  }

  uidOf(slot: number): number {
    return this.settings.uidBase + slot;
  }

  /** A sandbox for this launch, prepared, and how the supervisor's start goes through it. */
  async build(
    slot: number,
    pod: PodSpec,
    plan: LaunchPlan,
    rootDir: string,
    heartbeatFile: string,
  ): Promise<{ sandbox: TenantSandbox; start: SandboxedStart }> {
    let routes: EgressRoute[];
    try {
      await this.check();
      routes = egressRoutes(egressUrls(plan), this.settings.egressAllow);
    } catch (error) {
      // The host or the settings must change first: retrying the launch cannot help.
      if (error instanceof SandboxUnavailable || error instanceof EgressRefused)
        throw new PermanentPortError('SANDBOX_REFUSED', error.message);
      throw error;
    }
    const sandbox = this.sandboxOf(slot, pod.tier, routes);
    const { node, entry } = plan.spec.openclaw;
    const readOnly = [
      ...CODE_PATHS.map((path) => join(PACKAGE_ROOT, path)).filter((path) => existsSync(path)),
      ...hoistedDependencies(),
      installRootOf(entry),
      ...(node.startsWith('/usr/') ? [] : [dirname(dirname(node))]),
      heartbeatFile,
    ];
    const launch = { rootDir, readOnly };
    let listenFd: number;
    try {
      await sandbox.prepare(launch);
      await writeFile(join(sandbox.dir, 'routes.json'), JSON.stringify(routes));
      listenFd = await sandbox.listen(plan.spec.listen);
    } catch (error) {
      await sandbox.close();
      throw error;
    }
    return {
      sandbox,
      start: {
        wrap: (command) => sandbox.command(launch, command),
        env: sandbox.supervisorEnv(),
        listenFd,
        spawned: () => sandbox.releaseListener(),
      },
    };
  }

  /** The sandbox of a supervisor an earlier runtime started: its egress sockets listen again. */
  async adopt(slot: number, tier: TenantTier): Promise<TenantSandbox> {
    const dir = this.dirOf(slot);
    const routes = JSON.parse(await readFile(join(dir, 'routes.json'), 'utf8')) as EgressRoute[];
    const sandbox = this.sandboxOf(slot, tier, routes);
    await sandbox.startEgress();
    return sandbox;
  }

  private sandboxOf(slot: number, tier: TenantTier, routes: readonly EgressRoute[]): TenantSandbox {
    const uid = this.uidOf(slot);
    const limits = (this.settings.limits ?? TIER_LIMITS)[tier];
    const sandbox = new TenantSandbox(
      { name: `${this.stack}-${slot}`, uid, gid: uid },
      this.dirOf(slot),
      limits,
      routes,
    );
    return sandbox;
  }

  private dirOf(slot: number): string {
    return join(this.dataDir, 'sandboxes', `slot-${slot}`);
  }
}

/** An installed package's dependencies sit beside it (`<project>/node_modules`), not inside it. */
function hoistedDependencies(): string[] {
  const at = PACKAGE_ROOT.lastIndexOf('/node_modules/');
  return at < 0 ? [] : [PACKAGE_ROOT.slice(0, at + '/node_modules'.length)];
}

/**
 * Everything the tenant's processes reach outside: the model gateway, the
 * Telegram Bot API, the snapshot store its grant's presigned URLs name, and
 * the trace collector when tracing is on.
 */
export function egressUrls(plan: LaunchPlan): string[] {
  const urls = [plan.spec.provider.baseUrl];
  if (plan.spec.otlpEndpoint) urls.push(plan.spec.otlpEndpoint);
  if (plan.spec.telegram) urls.push(plan.spec.telegram.apiRoot ?? 'https://api.telegram.org');
  const grant = plan.secrets.snapshotGrant ?? '';
  for (const match of grant.matchAll(/https?:\/\/[^/"\\]+/g)) urls.push(match[0]);
  return urls;
}
