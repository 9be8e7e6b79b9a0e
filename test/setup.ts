/**
 * Mocha global set-up: resolve (and on a fresh machine, install) the external
 * programs once before any suite runs, so a missing tool fails loudly at the
 * start instead of as a timeout inside some test.
 */
import { testTools } from './helpers/toolchain.js';

export async function mochaGlobalSetup(): Promise<void> {
  const tools = await testTools();
  for (const tool of Object.values(tools)) console.log(`  [toolchain] ${tool.name}: ${tool.path} (${tool.source})`);
}
