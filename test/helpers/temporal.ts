import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTES } from '../../workflows/shared.js';
import { testTools } from './toolchain.js';

/** Search attribute types as the server's IndexedValueType numbers. */
const INDEXED_VALUE_TYPE = {
  TEXT: 1,
  KEYWORD: 2,
  INT: 3,
  DOUBLE: 4,
  BOOL: 5,
  DATETIME: 6,
  KEYWORD_LIST: 7,
} as const;

/**
 * The time-skipping test server, from the resolved binary (never the SDK's
 * own download, which fails offline), with clawfleet's search attributes
 * registered: it rejects upserts of unknown attributes, and of the operator
 * API it implements only `addSearchAttributes`.
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const { temporalTestServer } = await testTools();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServer.path } },
  });
  try {
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(
        SEARCH_ATTRIBUTES.map((key) => [key.name, INDEXED_VALUE_TYPE[key.type]]),
      ),
    });
  } catch (error) {
    await env.teardown();
    throw error;
  }
  return env;
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
