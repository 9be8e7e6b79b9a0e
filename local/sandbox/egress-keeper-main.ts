/**
 * Entry point of the egress keeper (egress-keeper.ts), started by the local
 * runtime (egress-keeper-client.ts), never by hand:
 *   node egress-keeper-main.ts <control socket> <heartbeat file> <window ms> <tenants dir>
 */
import { createRootLogger } from '../../common/logger.js';
import { EgressKeeper } from './egress-keeper.js';

const USAGE = 'usage: egress-keeper-main.ts <control socket> <heartbeat file> <window ms> <tenants dir>';
const [controlSocket, heartbeatFile, windowMs, tenantsDir] = process.argv.slice(2);

async function main(): Promise<void> {
  if (!controlSocket || !heartbeatFile || !tenantsDir || !(Number(windowMs) > 0)) throw new Error(USAGE);
  const logger = createRootLogger({ level: 'info', name: 'egress-keeper' });
  const keeper = new EgressKeeper({
    controlSocket,
    heartbeatFile,
    windowMs: Number(windowMs),
    tenantsDir,
    logger,
  });
  await keeper.start();
  process.once('SIGTERM', () => void keeper.stop('SIGTERM'));
  process.once('SIGINT', () => void keeper.stop('SIGINT'));
  logger.info({ controlSocket }, 'egress keeper serving');
  await keeper.done;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`egress keeper: ${(err as Error).message}`);
    process.exit(1);
  },
);
