/**
 * Entry point of a tenant pod (and of a local tenant process):
 *   node pod/main.ts <spec.json>
 * The spec names the tenant; secrets come from env vars or the secrets dir
 * (supervisor-config.ts). run-supervisor.ts does the rest.
 */
import { runSupervisor } from './run-supervisor.js';
import { loadSupervisorConfig } from './supervisor-config.js';

async function main(specPath: string | undefined): Promise<void> {
  if (!specPath) throw new Error('usage: pod/main.ts <spec.json>');
  await runSupervisor(await loadSupervisorConfig(specPath));
}

main(process.argv.slice(2).find((arg) => !arg.startsWith('--'))).catch((err: unknown) => {
  console.error(`clawfleet pod: ${(err as Error).message}`);
  process.exit(2);
});
