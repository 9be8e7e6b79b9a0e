/**
 * Entry point of a tenant pod (and of a local tenant process):
 *   node supervisor/main.ts <spec.json>        a tenant's supervisor; secrets from env vars or the secrets dir
 *   node supervisor/main.ts --warm <warm.json> a warm pool pod: waits for `POST /claim` (warm-claim.ts), which
 *                                       brings the tenant's spec and secrets, then runs as above
 * run-supervisor.ts does the rest.
 */
import { createRootLogger } from '../common/logger.js';
import { runSupervisor } from './run-supervisor.js';
import { loadSupervisorConfig, sandboxFromEnv, type SupervisorConfig } from './supervisor-config.js';
import { waitForClaim } from './warm-claim.js';
import { loadWarmConfig } from './warm-config.js';

const USAGE = 'usage: supervisor/main.ts <spec.json> | supervisor/main.ts --warm <warm.json>';

async function configFrom(args: readonly string[]): Promise<SupervisorConfig> {
  const warmAt = args.indexOf('--warm');
  if (warmAt >= 0) {
    const warmPath = args[warmAt + 1];
    if (!warmPath || warmPath.startsWith('--')) throw new Error(USAGE);
    const warm = await loadWarmConfig(warmPath);
    const logger = createRootLogger({ level: warm.logLevel, name: 'clawfleet-pod' }).child({
      component: 'warm',
    });
    const claimed = await waitForClaim(warm, logger);
    // A warm process pre-built inside a local sandbox got its listening socket and egress forwards at spawn.
    const sandbox = sandboxFromEnv(process.env);
    return { ...claimed, ...(sandbox && { sandbox }) };
  }
  const specPath = args.find((arg) => !arg.startsWith('--'));
  if (!specPath) throw new Error(USAGE);
  return loadSupervisorConfig(specPath);
}

configFrom(process.argv.slice(2))
  .then(runSupervisor)
  .catch((err: unknown) => {
    console.error(`clawfleet pod: ${(err as Error).message}`);
    process.exit(2);
  });
