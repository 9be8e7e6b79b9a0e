import { loadConfig } from '../../common/config.js';
import {
  resolveRedisServer,
  resolveTemporalCli,
  resolveTemporalTestServer,
  type ResolvedTool,
} from '../../dev/toolchain.js';

export interface TestTools {
  readonly temporalCli: ResolvedTool;
  readonly temporalTestServer: ResolvedTool;
  readonly redisServer: ResolvedTool;
}

let tools: Promise<TestTools> | undefined;

/** Resolves (and installs, once) the external programs the tests run against. */
export function testTools(): Promise<TestTools> {
  tools ??= (async () => {
    const config = loadConfig();
    const report = (line: string) => console.log(`  [toolchain] ${line}`);
    const [temporalCli, temporalTestServer, redisServer] = await Promise.all([
      resolveTemporalCli({ cacheDir: config.common.cacheDir, explicitPath: config.temporal.cli, report }),
      resolveTemporalTestServer({
        cacheDir: config.common.cacheDir,
        explicitPath: config.temporal.testServer,
        report,
      }),
      resolveRedisServer({ cacheDir: config.common.cacheDir, report }),
    ]);
    return { temporalCli, temporalTestServer, redisServer };
  })();
  return tools;
}
