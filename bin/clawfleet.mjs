#!/usr/bin/env node
// The `clawfleet` command. The installed package (and a checkout after `npm run build`) runs the
// build, dist/cli/main.js, on plain Node; a checkout without a build runs the sources through tsx.
// Every process the CLI starts follows the same mode (common/entry-points.ts).
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
