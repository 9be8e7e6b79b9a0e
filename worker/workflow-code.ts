/**
 * Where the worker gets its workflow code. Built (`npm run build`), it loads
 * the bundle prebuilt with `bundleWorkflowCode` into dist/: no webpack at
 * start, and the code that runs is the code that was built and tested, as
 * Temporal recommends for production. From source, the worker bundles
 * workflows/index.ts at start, so an edit needs no build.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CODE_ROOT, RUN_MODE } from '../common/entry-points.js';
import { ClawfleetError } from '../common/errors.js';

/** Written by scripts/build.mjs, next to the compiled workflows. */
export const WORKFLOW_BUNDLE_FILE = join(CODE_ROOT, 'workflow-bundle.js');
/** The same with the sandbox's OpenTelemetry interceptors (worker/tracing.ts), for a traced worker. */
export const TRACED_WORKFLOW_BUNDLE_FILE = join(CODE_ROOT, 'workflow-bundle-traced.js');

/** The compiled (or source) workflows module the bundle is made from. */
export function workflowsModule(): string {
  return join(CODE_ROOT, 'workflows', RUN_MODE === 'built' ? 'index.js' : 'index.ts');
}

export type WorkflowCode = { workflowBundle: { codePath: string } } | { workflowsPath: string };

/** From source, a traced worker adds the interceptor module itself (tracedWorkerOptions); built, it is in the bundle. */
export function workflowCode(options: { traced?: boolean } = {}): WorkflowCode {
  if (RUN_MODE === 'source') return { workflowsPath: workflowsModule() };
  const file = options.traced ? TRACED_WORKFLOW_BUNDLE_FILE : WORKFLOW_BUNDLE_FILE;
  if (!existsSync(file))
    throw new ClawfleetError(
      'CONFIG_INVALID',
      `${file} is missing: the build is incomplete; run \`npm run build\``,
    );
  return { workflowBundle: { codePath: file } };
}
