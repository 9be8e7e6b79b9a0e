#!/usr/bin/env node
// `npm run build`: compiles the sources to dist/ (ESM JavaScript, declarations, source maps;
// tsconfig.build.json) and prebuilds the worker's workflow bundle from the compiled workflows,
// so a built worker starts without webpack. Plain JavaScript: it runs before dist/ exists.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();
const seconds = (from) => ((Date.now() - from) / 1000).toFixed(1);

rmSync(join(root, 'dist'), { recursive: true, force: true });
const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
if (tsc.status !== 0) {
  console.error('clawfleet build: tsc failed (errors above)');
  process.exit(tsc.status ?? 1);
}
console.log(`clawfleet build: tsc → dist/ in ${seconds(started)} s`);

const bundling = Date.now();
const { bundleWorkflowCode } = await import('@temporalio/worker');
const { workflowsModule, WORKFLOW_BUNDLE_FILE, TRACED_WORKFLOW_BUNDLE_FILE } = await import(
  join(root, 'dist/worker/workflow-code.js')
);
const { WORKFLOW_TRACING_MODULE } = await import(join(root, 'dist/worker/tracing.js'));
// Two bundles: a traced worker (CLAWFLEET_OTLP_ENDPOINT set) needs the sandbox's tracing interceptors in its
// bundle, and an untraced one should not carry them at all.
const [plain, traced] = await Promise.all([
  bundleWorkflowCode({ workflowsPath: workflowsModule(), logger: quietLogger() }),
  bundleWorkflowCode({
    workflowsPath: workflowsModule(),
    workflowInterceptorModules: [WORKFLOW_TRACING_MODULE],
    logger: quietLogger(),
  }),
]);
writeFileSync(WORKFLOW_BUNDLE_FILE, plain.code);
writeFileSync(TRACED_WORKFLOW_BUNDLE_FILE, traced.code);
console.log(
  `clawfleet build: workflow bundles → ${WORKFLOW_BUNDLE_FILE} (and traced) in ${seconds(bundling)} s`,
);
console.log(`clawfleet build: done in ${seconds(started)} s`);

/** The bundler logs every webpack step at INFO; keep warnings and errors. */
function quietLogger() {
  const keep = (level) => (message, meta) => console.error(`[${level}] ${message}`, meta ?? '');
  const skip = () => undefined;
  return { log: skip, trace: skip, debug: skip, info: skip, warn: keep('warn'), error: keep('error') };
}
