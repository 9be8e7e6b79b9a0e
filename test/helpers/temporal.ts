import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTES } from '../../workflows/shared.js';
import { testTools } from './toolchain.js';

/**
 * The time-skipping test server, from the resolved binary: never the SDK's
 * own download, which fails offline.
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const { temporalTestServer } = await testTools();
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServer.path } },
  });
}

/** A real `temporal server start-dev` with clawfleet's search attributes registered. */
export async function createLocalEnv(): Promise<TestWorkflowEnvironment> {
  const { temporalCli } = await testTools();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCli.path },
      searchAttributes: [...SEARCH_ATTRIBUTES],
      extraArgs: [
        '--dynamic-config-value',
        'frontend.enableExecuteMultiOperation=true',
        '--log-level',
        'error',
      ],
    },
  });
}
