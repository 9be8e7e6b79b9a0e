/**
 * The one place that says how a clawfleet process is started: the worker,
 * the router, the admin API, the model gateway, a tenant's supervisor (cold, or warm with
 * `--warm`), the local sandboxes' egress keeper and the CLI. Which way follows from where this module itself was loaded from:
 *
 * - built (`dist/common/entry-points.js`, what `npm run build`, the package
 *   and the images ship): `node dist/<entry>.js`, plain Node, no loader;
 * - source (`common/entry-points.ts` under tsx: `npm run dev`, `npm test`):
 *   `node --import tsx <entry>.ts`, so an edit needs no build.
 *
 * A built parent therefore never starts a source child and the other way
 * round: the process tree runs one mode.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ClawfleetEntry =
  | 'worker/main'
  | 'router/server'
  | 'admin/server'
  | 'gateway/server'
  | 'supervisor/main'
  | 'cli/main'
  | 'dev/aws-server'
  | 'local/sandbox/egress-keeper-main';

export type RunMode = 'built' | 'source';

export const RUN_MODE: RunMode = import.meta.url.endsWith('.js') ? 'built' : 'source';

/** `dist/` when built, the repo root from source: where the entry files are. */
export const CODE_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The package's root (holds package.json and node_modules): the cwd of every child. */
export const PACKAGE_ROOT = RUN_MODE === 'built' ? join(CODE_ROOT, '..') : CODE_ROOT;

/** Arguments for `process.execPath` that start `entry` with `args` in this mode. */
export function nodeArgs(entry: ClawfleetEntry, ...args: string[]): string[] {
  return nodeArgsIn(RUN_MODE, entry, ...args);
}

/**
 * V8 flags of every tenant supervisor, one per awake tenant, so its memory
 * counts as many times as the host has tenants: a 1 MB semi-space keeps its
 * young generation small (docs/benchmarks.md, `bench:memory`); it serves a
 * few requests a minute. `--optimize-for-size` saved more but made OpenClaw's
 * boot cost ~70 % more CPU, so neither process uses it.
 */
export const SUPERVISOR_V8_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

/** The same in a given mode: only `npm run bench:startup` starts both, to compare them. */
export function nodeArgsIn(mode: RunMode, entry: ClawfleetEntry, ...args: string[]): string[] {
  const flags = entry === 'supervisor/main' ? SUPERVISOR_V8_FLAGS : [];
  if (mode === 'source') return [...flags, '--import', 'tsx', join(PACKAGE_ROOT, `${entry}.ts`), ...args];
  return [...flags, join(PACKAGE_ROOT, 'dist', `${entry}.js`), ...args];
}
