/**
 * What a billing system does with clawfleet: `npm pack` the built repo, and
 * `npm install` the tarball into an empty project (its dependencies come from
 * the registry, or the npm cache when it has them). Everything then runs on
 * plain Node 24, with no TypeScript loader in the project.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCommand, type RunResult } from '../../dev/run-command.js';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** Node 24 (the one running the tests) first on PATH, so `npx` and `#!/usr/bin/env node` find it. */
export function pathWithNode24(): string {
  return `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`;
}

/** `npm run build` in the repo; returns how long it took (printed: CI shows the build time). */
export async function buildRepo(): Promise<number> {
  const started = Date.now();
  await runCommand('npm', ['run', 'build'], {
    cwd: REPO_ROOT,
    env: { ...process.env, PATH: pathWithNode24() },
    timeoutMs: 8 * 60_000,
  });
  return Date.now() - started;
}

export interface PackedProject {
  readonly dir: string;
  /** Runs `node <file>` in the project (the file is written there first). */
  runScript(name: string, source: string, args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult>;
  /** Runs `npx <args>` in the project. */
  npx(args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult>;
  remove(): Promise<void>;
}

/** Packs the (already built) repo and installs the tarball into a new empty project. */
export async function installPackedClawfleet(): Promise<PackedProject> {
  const dir = await mkdtemp(join(tmpdir(), 'clawfleet-billing-'));
  const env = { ...process.env, PATH: pathWithNode24() };
  try {
    // The build ran already: --ignore-scripts skips prepack's second build.
    const packed = await runCommand(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', dir],
      {
        cwd: REPO_ROOT,
        env,
        timeoutMs: 120_000,
      },
    );
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'billing-system', private: true, type: 'module' }),
    );
    await runCommand('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `./${filename}`], {
      cwd: dir,
      env,
      timeoutMs: 8 * 60_000,
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  // Plain Node, no loader, and none of the repo's environment (its PATH has node_modules/.bin).
  const plainEnv = (extra: NodeJS.ProcessEnv = {}) => ({
    PATH: pathWithNode24(),
    HOME: dir,
    npm_config_cache: process.env['npm_config_cache'],
    ...extra,
  });
  return {
    dir,
    async runScript(name, source, args, extra) {
      await writeFile(join(dir, name), source);
      return runCommand(process.execPath, [name, ...args], {
        cwd: dir,
        env: plainEnv(extra),
        timeoutMs: 60_000,
      });
    },
    npx: (args, extra) =>
      runCommand('npx', ['--no-install', ...args], { cwd: dir, env: plainEnv(extra), timeoutMs: 60_000 }),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
