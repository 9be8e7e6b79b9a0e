/** `clawfleet fleet …`: health-gated OpenClaw upgrades across the fleet, through the admin API. */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { FleetUpgradeView, StartUpgradeInput } from '../../client/admin-client.js';
import { cliContext, fields, paint, type CliContext } from '../context.js';
import { duration, positiveInt } from './option-parsers.js';

interface UpgradeOptions {
  tier?: 'free' | 'standard' | 'pro';
  tenants?: string[];
  all?: boolean;
  waves?: number[];
  rolloutId?: string;
  observe?: number;
  minWakes?: number;
  maxFailedWakes?: number;
  maxCrashLoops?: number;
  maxErrorRateIncrease?: number;
  firstDeliveryUnchecked?: boolean;
  restartAwake?: boolean;
}

function waves(value: string): number[] {
  const list = value.split(',').map(Number);
  if (list.length === 0 || list.some((n) => !Number.isFinite(n) || n <= 0 || n > 100))
    throw new InvalidArgumentError('comma-separated percentages, e.g. 1,10,50,100');
  return list;
}

function share(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('a fraction between 0 and 1');
  return n;
}

function show(ctx: CliContext, rollout: FleetUpgradeView): void {
  ctx.print(rollout, (r) => {
    const h = r.lastHealth;
    return fields([
      ['rollout', r.rolloutId],
      ['target', r.targetVersion],
      ['state', paint(ctx, r.state)],
      ['wave', `${r.wave}/${r.waves}`],
      [
        'tenants',
        `${r.selected} selected, ${r.upgraded} upgraded, ${r.rolledBack} rolled back, ${r.alreadyCurrent} already current`,
      ],
      [
        'pinned (skipped)',
        r.pinnedCount === 0 ? 'none' : `${r.pinnedCount}: ${r.pinned.slice(0, 20).join(', ')}`,
      ],
      [
        'last wave',
        h
          ? `${h.woke}/${h.tenants} woke, ${h.failedWakes} failed wakes, ${h.crashLoops} crash loops, ${h.delivered} delivered, ${h.deliveryErrors} delivery errors`
          : '-',
      ],
      ['gate', r.verdict.join('; ') || '-'],
      ['failures', h?.failures.join('; ') || '-'],
      ['reason', r.reason ?? '-'],
      ['workflow', `${r.workflowId} (${r.execution})`],
    ]);
  });
}

export function fleetCommand(): Command {
  const fleet = new Command('fleet').description('Fleet-wide operations: health-gated OpenClaw upgrades');

  fleet
    .command('upgrade <version>')
    .description('Roll an OpenClaw version out in waves, each gated on health; pinned tenants are skipped')
    .addOption(new Option('--tier <tier>', 'only tenants of this tier').choices(['free', 'standard', 'pro']))
    .option('--tenants <ids>', 'only these tenants (comma-separated)', (v: string) => v.split(','))
    .option('--all', 'every tenant that is not pinned')
    .option('--waves <percentages>', 'cumulative wave sizes in percent (default 1,10,50,100)', waves)
    .option('--rollout-id <id>', 'name of the rollout (default: <version>-<random>)')
    .option('--observe <duration>', 'how long each wave is watched before its gate (default 10m)', duration)
    .option('--min-wakes <n>', 'tenants that must wake on the new version per wave (default 1)', positiveInt)
    .option('--max-failed-wakes <n>', 'failed wakes a wave tolerates (default 0)', positiveInt)
    .option('--max-crash-loops <n>', 'crash loops a wave tolerates (default 0)', positiveInt)
    .option(
      '--max-error-rate-increase <fraction>',
      'delivery error share above the previous version (default 0.05)',
      share,
    )
    .option('--first-delivery-unchecked', 'do not require the first delivery after a wake to be acknowledged')
    .option(
      '--restart-awake',
      'ask awake tenants to sleep so their next message wakes them on the new version',
    )
    .action(async (version: string, opts: UpgradeOptions, command: Command) => {
      const selectors = [opts.tier !== undefined, opts.tenants !== undefined, opts.all === true].filter(
        Boolean,
      );
      if (selectors.length !== 1)
        command.error('pass exactly one of --tier, --tenants, --all', { exitCode: 2 });
      const gate = {
        ...(opts.observe !== undefined && { observeMs: opts.observe }),
        ...(opts.minWakes !== undefined && { minWakes: opts.minWakes }),
        ...(opts.maxFailedWakes !== undefined && { maxFailedWakes: opts.maxFailedWakes }),
        ...(opts.maxCrashLoops !== undefined && { maxCrashLoops: opts.maxCrashLoops }),
        ...(opts.maxErrorRateIncrease !== undefined && { maxErrorRateIncrease: opts.maxErrorRateIncrease }),
        ...(opts.firstDeliveryUnchecked && { firstDeliveryAcked: false }),
      };
      const input: StartUpgradeInput = {
        targetVersion: version,
        selector: opts.tier
          ? { tier: opts.tier }
          : opts.tenants
            ? { tenantIds: opts.tenants }
            : { all: true },
        ...(opts.waves && { waves: opts.waves }),
        ...(opts.rolloutId && { rolloutId: opts.rolloutId }),
        ...(Object.keys(gate).length > 0 && { gate }),
        ...(opts.restartAwake && { restartAwake: true }),
      };
      const ctx = await cliContext(command);
      show(ctx, await ctx.admin.startFleetUpgrade(input));
    });

  fleet
    .command('status <rollout>')
    .description('Progress of a rollout: wave, counts, last health, skipped tenants')
    .action(async (rollout: string, _opts: unknown, command: Command) => {
      const ctx = await cliContext(command);
      show(ctx, await ctx.admin.fleetUpgrade(rollout));
    });

  fleet
    .command('pause <rollout> [reason]')
    .description('Hold the rollout before its next wave')
    .action(async (rollout: string, reason: string | undefined, _opts: unknown, command: Command) => {
      const ctx = await cliContext(command);
      show(ctx, await ctx.admin.pauseFleetUpgrade(rollout, reason));
    });

  fleet
    .command('resume <rollout>')
    .description('Continue a paused rollout (a gate that lacked wakes measures again)')
    .action(async (rollout: string, _opts: unknown, command: Command) => {
      const ctx = await cliContext(command);
      show(ctx, await ctx.admin.resumeFleetUpgrade(rollout));
    });

  fleet
    .command('abort <rollout> [reason]')
    .description('Stop the rollout for good; waves already applied keep the new version')
    .action(async (rollout: string, reason: string | undefined, _opts: unknown, command: Command) => {
      const ctx = await cliContext(command);
      show(ctx, await ctx.admin.abortFleetUpgrade(rollout, reason));
    });

  return fleet;
}
