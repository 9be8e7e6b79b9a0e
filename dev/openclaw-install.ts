/**
 * Installs pinned OpenClaw versions into the cache, outside the repo, one
 * directory per version (`<cacheDir>/openclaw-<version>/`), so the local
 * runtime can run tenants on different versions side by side and a fleet
 * upgrade is "install the new version next to the old one".
 *
 * OpenClaw needs Node >=24.16 both at run time (node:sqlite) and in its
 * preinstall check, while the system npm usually runs on an older Node; so npm
 * is run explicitly with the Node 24 binary that runs clawfleet itself.
 */
import { randomBytes } from 'node:crypto';
import { access, constants, mkdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ToolchainError } from '../common/errors.js';
import { warmCompileCache } from './openclaw-compile-cache.js';
import { findOnPath } from './toolchain.js';
import { runCommand } from './run-command.js';

export const PINNED_OPENCLAW = '2026.9.6';

/**
 * npm 11 blocks dependency install scripts unless `allowScripts` lists them.
 * These four are the only packages in openclaw@2026.9.6's tree with install
 * scripts, and none is needed (checked by installing without them):
 * - openclaw: preinstall only enforces the Node range and warns about non-pnpm
 *   installs; postinstall prunes stale dist files left by an in-place upgrade
 *   (never happens: every version gets a fresh directory) and re-downloads the
 *   @openclaw/fs-safe native binding only when it is missing (it is installed
 *   as an optional dependency; its probe reports `ready`).
 * - koffi: builds from source only when no prebuilt binary exists; the
 *   prebuilt one comes as the optional dependency @koromix/koffi-linux-x64.
 * - protobufjs: postinstall only prints a version-scheme warning.
 * - @google/genai: preinstall is `echo 'preinstall: no-op'`.
 * Denying them explicitly (false) documents the review and silences npm's
 * "not yet covered" warning; running third-party code at install time is
 * avoided altogether.
 */
export const OPENCLAW_ALLOW_SCRIPTS: Readonly<Record<string, boolean>> = {
  openclaw: false,
  koffi: false,
  protobufjs: false,
  '@google/genai': false,
};

export interface EnsureOpenClawOptions {
  /** @default PINNED_OPENCLAW */
  readonly version?: string;
  /** Cache root, e.g. `~/.cache/clawfleet` (config `cacheDir`). */
  readonly cacheDir: string;
  readonly report?: (line: string) => void;
  /** Node >=24.16 that runs npm and later OpenClaw. @default process.execPath */
  readonly node?: string;
  /** npm's `npm-cli.js`. @default resolved from `npm` on PATH, then /usr/lib/node_modules/npm */
  readonly npmCli?: string;
  /** Deadline for the whole npm install. @default 10 min */
  readonly timeoutMs?: number;
  /**
   * Warm the install's shared V8 compile cache (dev/openclaw-compile-cache.ts) if it is not yet:
   * one gateway boot, once per version and host. @default true
   */
  readonly warmCompileCache?: boolean;
}

export interface OpenClawInstall {
  readonly version: string;
  /** `<cacheDir>/openclaw-<version>`: holds package.json and node_modules. */
  readonly dir: string;
  /** `node_modules/.bin/openclaw`; its shebang is `env node`, so Node 24 must come first on PATH. */
  readonly bin: string;
  /** The package's entry script; run it as `node entry ...args` to be independent of PATH. */
  readonly entry: string;
  /** The Node binary to run `entry` with. */
  readonly node: string;
  /** True when this call installed it (false: it was already cached). */
  readonly installedNow: boolean;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
const MARKER = '.clawfleet-installed.json';
const HINT_PREFIX = 'Check network access to the npm registry';

async function exists(path: string, mode = constants.F_OK): Promise<boolean> {
  try {
    await access(path, mode);
    return true;
  } catch {
    return false;
  }
}

function assertSupportedNode(node: string, versionOutput: string): void {
  const match = /^v(\d+)\.(\d+)/.exec(versionOutput.trim());
  const [major, minor] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
  if ((major === 24 && minor >= 16) || (major === 26 && minor >= 1) || major > 26) return;
  throw new ToolchainError(
    'openclaw',
    `${node} is Node ${versionOutput.trim() || 'unknown'}, but OpenClaw needs >=24.16 <25 or >=26.1`,
    'Run clawfleet with the Node 24 from the repo (`npx tsx ...` puts node_modules/.bin/node first on PATH).',
  );
}

async function resolveNpmCli(explicit: string | undefined): Promise<string> {
  const candidates = [
    explicit,
    await findOnPath('npm').then((p) => (p ? realpath(p) : undefined)),
    '/usr/lib/node_modules/npm/bin/npm-cli.js',
  ];
  for (const candidate of candidates) {
    if (candidate?.endsWith('npm-cli.js') && (await exists(candidate))) return candidate;
  }
  throw new ToolchainError(
    'openclaw',
    'npm (npm-cli.js) was not found',
    'Install npm 11 (it ships with Node) or pass npmCli.',
  );
}

function describe(dir: string, version: string, node: string, installedNow: boolean): OpenClawInstall {
  const entry = join(dir, 'node_modules', 'openclaw', 'openclaw.mjs');
  return { version, dir, bin: join(dir, 'node_modules', '.bin', 'openclaw'), entry, node, installedNow };
}

/** A cached install counts only once its marker exists: it is written last, just before the rename. */
async function isComplete(dir: string, version: string): Promise<boolean> {
  try {
    const marker = JSON.parse(await readFile(join(dir, MARKER), 'utf8')) as { version?: string };
    return (
      marker.version === version && (await exists(join(dir, 'node_modules', 'openclaw', 'openclaw.mjs')))
    );
  } catch {
    return false;
  }
}

async function sizeMb(dir: string): Promise<number | undefined> {
  try {
    const { stdout } = await runCommand('du', ['-sk', dir], { timeoutMs: 60_000 });
    return Math.round(Number(stdout.split(/\s/)[0]) / 1024);
  } catch {
    return undefined; // size is for the report only
  }
}

/**
 * Returns the cached install of `openclaw@<version>`, installing it first if
 * needed. Safe to call concurrently: each caller installs into its own staging
 * directory and the first rename wins; losers discard their copy.
 */
export async function ensureOpenClaw(options: EnsureOpenClawOptions): Promise<OpenClawInstall> {
  const version = options.version ?? PINNED_OPENCLAW;
  const report = options.report ?? (() => {});
  const node = options.node ?? process.execPath;
  const dir = join(options.cacheDir, `openclaw-${version}`);
  if (await isComplete(dir, version)) {
    const install = describe(dir, version, node, false);
    if (options.warmCompileCache ?? true) await warmCompileCache({ entry: install.entry, node, report });
    return install;
  }

  const { stdout: nodeVersion } = await runCommand(node, ['--version'], { timeoutMs: 10_000 });
  assertSupportedNode(node, nodeVersion);
  const npmCli = await resolveNpmCli(options.npmCli);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  await mkdir(options.cacheDir, { recursive: true });
  const staging = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const manifest = {
    name: `clawfleet-openclaw-${version}`,
    private: true,
    description: 'Installed by clawfleet (dev/openclaw-install.ts); do not edit.',
    dependencies: { openclaw: version },
    allowScripts: OPENCLAW_ALLOW_SCRIPTS,
  };
  report(
    `installing openclaw@${version} into ${dir} (npm on Node ${nodeVersion.trim()}, deadline ${Math.round(timeoutMs / 1000)} s)`,
  );
  const started = Date.now();
  try {
    await mkdir(staging, { recursive: true });
    await writeFile(join(staging, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const args = [
      npmCli,
      'install',
      '--no-audit',
      '--no-fund',
      '--no-update-notifier',
      '--loglevel=error',
      '--fetch-timeout=60000',
      '--fetch-retries=1',
    ];
    // npm's own lifecycle (and node-gyp, if anything ever builds) must see Node 24 first on PATH.
    const env = { ...process.env, PATH: `${join(node, '..')}:${process.env['PATH'] ?? ''}` };
    await runCommand(node, args, { timeoutMs, cwd: staging, env });
    const { stdout } = await runCommand(
      node,
      [join(staging, 'node_modules', 'openclaw', 'openclaw.mjs'), '--version'],
      { timeoutMs: 60_000 },
    );
    if (!stdout.includes(version))
      throw new Error(`installed openclaw reports ${JSON.stringify(stdout.trim())}, expected ${version}`);
    await writeFile(
      join(staging, MARKER),
      `${JSON.stringify({ version, installedAt: new Date().toISOString() })}\n`,
    );
    await rename(staging, dir).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      // Another caller won the race, or an incomplete dir was left by a crash before the marker.
      if (!(await isComplete(dir, version))) {
        await rm(dir, { recursive: true, force: true });
        await rename(staging, dir);
      }
    });
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0] ?? 'unknown error';
    throw new ToolchainError(
      'openclaw',
      `npm install openclaw@${version} failed: ${reason}`,
      `${HINT_PREFIX}, or install it by hand into ${dir} (see docs/openclaw-notes.md).`,
      { cause: error },
    );
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  report(`installed openclaw@${version} in ${seconds} s (${(await sizeMb(dir)) ?? '?'} MB) at ${dir}`);
  const install = describe(dir, version, node, true);
  if (options.warmCompileCache ?? true) await warmCompileCache({ entry: install.entry, node, report });
  return install;
}

/** `[file, args]` to run the OpenClaw CLI without depending on PATH. */
export function openclawCommand(install: OpenClawInstall, args: readonly string[]): [string, string[]] {
  return [install.node, [install.entry, ...args]];
}
