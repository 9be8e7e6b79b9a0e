#!/usr/bin/env node
// First step of `npm run dev` and `npm test` on a fresh clone: install the
// npm dependencies (including Node 24 from the npm registry) when they are
// missing or older than package-lock.json. Plain JavaScript on purpose: it
// runs on whatever Node is on PATH, before Node 24 exists in node_modules.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
const node24 = join(root, 'node_modules', '.bin', 'node');

const stale =
  !existsSync(installed) || !existsSync(node24) || statSync(lock).mtimeMs > statSync(installed).mtimeMs;
if (stale) {
  // `npm install` rather than `npm ci`: a registry that serves only this platform's optional
  // binaries yields a lockfile `npm ci` refuses as out of sync; install still honours the lock.
  console.log('clawfleet: installing npm dependencies, including Node 24 from the npm registry ...');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('clawfleet: npm install failed; fix the error above and run the command again.');
    process.exit(result.status ?? 1);
  }
}
