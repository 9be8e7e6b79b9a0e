/**
 * `npm run setup`: resolves (installing where needed) every external program
 * the tests and the dev stack use (Temporal CLI, test server, redis-server,
 * the pinned OpenClaw, openapi-python-client for the OpenAPI contract test),
 * and says where each came from. `.ci/run`
 * calls it so a fresh machine's install steps show up in the CI log; `npm test`
 * does the same in its global set-up.
 */
import { loadConfig } from '../common/config.js';
import { ensureOpenClaw } from '../dev/openclaw-install.js';
import { PINNED_OPENAPI_PYTHON_CLIENT, resolveOpenApiPythonClient } from '../dev/openapi-python-client.js';
import { resolveRedisServer, resolveTemporalCli, resolveTemporalTestServer } from '../dev/toolchain.js';

const config = loadConfig();
const report = (line: string) => console.log(`• ${line}`);
const tools = [
  await resolveTemporalCli({ cacheDir: config.common.cacheDir, explicitPath: config.temporal.cli, report }),
  await resolveTemporalTestServer({
    cacheDir: config.common.cacheDir,
    explicitPath: config.temporal.testServer,
    report,
  }),
  await resolveRedisServer({ cacheDir: config.common.cacheDir, report }),
];
for (const tool of tools) console.log(`${tool.name}: ${tool.path} (${tool.source})`);
const openclaw = await ensureOpenClaw({ cacheDir: config.common.cacheDir, report });
console.log(
  `openclaw ${openclaw.version}: ${openclaw.dir} (${openclaw.installedNow ? 'installed now' : 'cache'})`,
);
const openapi = await resolveOpenApiPythonClient({ cacheDir: config.common.cacheDir, report });
console.log(`openapi-python-client ${PINNED_OPENAPI_PYTHON_CLIENT}: ${openapi.binDir}`);
