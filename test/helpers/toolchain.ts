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
      resolveTemporalCli({ cacheDir: config.cacheDir, explicitPath: config.temporalCli, report }),
      resolveTemporalTestServer({
        cacheDir: config.cacheDir,
        explicitPath: config.temporalTestServer,
        report,
      }),
      resolveRedisServer({ cacheDir: config.cacheDir, report }),
    ]);
    return { temporalCli, temporalTestServer, redisServer };
  })();
  return tools;
}
