/**
 * Mocha global set-up: resolve (and on a fresh machine, install) the external
 * programs once before any suite runs, so a missing tool fails loudly at the
 * start instead of as a timeout inside some test.
 */
import { testTools, type TestTools } from './helpers/toolchain.js';

export async function mochaGlobalSetup(): Promise<void> {
  const tools: TestTools = await testTools();
  for (const tool of [tools.temporalCli, tools.temporalTestServer, tools.redisServer])
    console.log(`  [toolchain] ${tool.name}: ${tool.path} (${tool.source})`);
}
