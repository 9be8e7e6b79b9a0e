/**
 * `clawfleet`: the operator CLI. Each command lives in cli/commands/; this
 * file only assembles them and turns errors into one line and an exit code.
 */
import { Command, CommanderError, Option } from 'commander';
import { AdminApiError, AdminUnavailableError } from '../client/admin-client.js';
import { ClawfleetError } from '../common/errors.js';
import { CliConfigError } from './context.js';
import { adminCommand } from './commands/admin.js';
import { devCommand } from './commands/dev.js';
import { fleetCommand } from './commands/fleet.js';
import { secretCommand } from './commands/secret.js';
import { logsCommand, snapshotCommand, statusCommand, usageCommand } from './commands/tenant-data.js';
import { tenantCommand } from './commands/tenant.js';

/** Exit codes are part of the CLI's contract (README "CLI reference"). */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  unavailable: 3,
  /** 401/403: no token, a bad token, or a token without the scope. */
  denied: 4,
  notFound: 5,
  /** 409: exists already, stale version, the tenant's phase refuses it. */
  conflict: 6,
} as const;

export function exitCodeOf(error: unknown): number {
  if (error instanceof AdminApiError) {
    if (error.status === 400 || error.status === 422) return EXIT.usage;
    if (error.status === 401 || error.status === 403) return EXIT.denied;
    if (error.status === 404) return EXIT.notFound;
    if (error.status === 409) return EXIT.conflict;
    if (error.status === 503) return EXIT.unavailable;
    return EXIT.failure;
  }
  if (error instanceof AdminUnavailableError) return EXIT.unavailable;
  if (error instanceof CliConfigError) return EXIT.usage;
  if (error instanceof ClawfleetError && error.code === 'TOOL_MISSING') return EXIT.unavailable;
  if (error instanceof ClawfleetError && error.code === 'CONFIG_INVALID') return EXIT.usage;
  return EXIT.failure;
}

const program = new Command('clawfleet')
  .description('Control plane for multi-tenant OpenClaw')
  .option('--admin-url <url>', 'admin API base URL (env CLAWFLEET_ADMIN_URL)')
  .option(
    '--token <token>',
    'admin bearer token (env CLAWFLEET_ADMIN_TOKEN; prefer the env or the token file)',
  )
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
  .option('--no-color', 'no colours in tables')
  .showHelpAfterError()
  .addCommand(devCommand())
  .addCommand(tenantCommand())
  .addCommand(secretCommand())
  .addCommand(usageCommand())
  .addCommand(snapshotCommand())
  .addCommand(logsCommand())
  .addCommand(statusCommand())
  .addCommand(fleetCommand())
  .addCommand(adminCommand());

/** Commands built elsewhere and added with addCommand do not inherit exitOverride: apply it to all. */
function overrideExits(command: Command): void {
  command.exitOverride();
  command.commands.forEach(overrideExits);
}
overrideExits(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // Help and version are not failures; everything else commander reports is a usage error (already printed).
    const benign = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);
    process.exit(benign ? EXIT.ok : error.exitCode === 0 ? EXIT.ok : EXIT.usage);
  }
  if (error instanceof AdminApiError) {
    console.error(`clawfleet: ${error.message} (${error.code}, HTTP ${error.status})`);
    process.exit(exitCodeOf(error));
  }
  if (error instanceof ClawfleetError) {
    console.error(`clawfleet: ${error.message}`);
    process.exit(exitCodeOf(error));
  }
  console.error(error);
  process.exit(EXIT.failure);
});
