/**
 * `npm run setup`: resolves (installing where needed) every external program
 * the tests and the dev stack use, and says where each came from. `.ci/run`
 * calls it so a fresh machine's install steps show up in the CI log; `npm test`
 * does the same in its global set-up.
 */
import { loadConfig } from '../common/config.js';
import { resolveRedisServer, resolveTemporalCli, resolveTemporalTestServer } from '../dev/toolchain.js';

const config = loadConfig();
const report = (line: string) => console.log(`• ${line}`);
const tools = [
  await resolveTemporalCli({ cacheDir: config.cacheDir, explicitPath: config.temporalCli, report }),
  await resolveTemporalTestServer({
    cacheDir: config.cacheDir,
    explicitPath: config.temporalTestServer,
    report,
  }),
  await resolveRedisServer({ cacheDir: config.cacheDir, report }),
];
for (const tool of tools) console.log(`${tool.name}: ${tool.path} (${tool.source})`);
