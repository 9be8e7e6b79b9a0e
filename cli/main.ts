/**
 * `clawfleet`: the operator CLI. Each command lives in cli/commands/; this
 * file only assembles them and turns errors into one line and an exit code.
 */
import { Command } from 'commander';
import { ClawfleetError } from '../common/errors.js';
import { devCommand } from './commands/dev.js';

/** Exit codes are part of the CLI's contract (README "CLI reference"). */
export const EXIT = { ok: 0, failure: 1, usage: 2, unavailable: 3 } as const;

const program = new Command('clawfleet')
  .description('Control plane for multi-tenant OpenClaw')
  .showHelpAfterError()
  .addCommand(devCommand());

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ClawfleetError) {
    console.error(`clawfleet: ${error.message}`);
    process.exit(error.code === 'TOOL_MISSING' ? EXIT.unavailable : EXIT.failure);
  }
  console.error(error);
  process.exit(EXIT.failure);
});
