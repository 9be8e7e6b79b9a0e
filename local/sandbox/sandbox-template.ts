/**
 * What every sandbox of a launch plan sees besides its tenant: the egress
 * routes to the destinations the plan names, and the read-only paths (the
 * supervisor's code, OpenClaw's install, the runtime's heartbeat). A
 * pre-built sandbox (warm-sandboxes.ts) serves a launch whose template is
 * the same.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PACKAGE_ROOT, RUN_MODE } from '../../common/entry-points.js';
import type { LaunchPlan } from '../../runtime/launch-plan.js';
import { compileCacheDir } from '../../supervisor/trimmed-boot.js';
import { egressRoutes, type EgressRoute } from './egress.js';
import { installRootOf } from './mount-view.js';

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

/** What a launch's sandbox sees besides its tenant; a pre-built sandbox serves a launch whose template is the same. */
export interface SandboxTemplate {
  readonly routes: readonly EgressRoute[];
  readonly readOnly: readonly string[];
  /** OpenClaw's shared compile cache (inside `readOnly`), linked for each sandbox's uid (compile-cache-links.ts). */
  readonly compileCache: string;
}

/**
 * The template of `plan`'s sandboxes. Throws EgressRefused when a destination
 * is in a refused range that `egressAllow` does not list (egress.ts).
 */
export function sandboxTemplate(
  plan: LaunchPlan,
  heartbeatFile: string,
  egressAllow: readonly string[],
): SandboxTemplate {
  const routes = egressRoutes(egressUrls(plan), egressAllow);
  const { node, entry } = plan.spec.openclaw;
  const readOnly = [
    ...CODE_PATHS.map((path) => join(PACKAGE_ROOT, path)).filter((path) => existsSync(path)),
    ...hoistedDependencies(),
    installRootOf(entry),
    ...(node.startsWith('/usr/') ? [] : [dirname(dirname(node))]),
    heartbeatFile,
  ];
  return { routes, readOnly, compileCache: compileCacheDir(entry) };
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
