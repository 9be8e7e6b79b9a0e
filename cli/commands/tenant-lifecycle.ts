/** `clawfleet tenant wake|sleep|suspend|resume|delete`: a tenant's lifecycle through the admin API. */
import type { Command } from 'commander';
import { cliContext, paint } from '../context.js';
import { positiveInt } from './option-parsers.js';

/** Adds the lifecycle subcommands to `tenant`. */
export function addLifecycleCommands(tenant: Command): void {
  const phaseLine = (r: { tenantId: string; phase: string }) => `${r.tenantId}: ${r.phase}`;
  tenant
    .command('wake <id>')
    .description('Wake the tenant and wait until its agent is ready')
    .action(async (id: string, _opts: unknown, command: Command) => {
      const ctx = await cliContext(command);
      const pod = await ctx.wait(`waking ${id}`, () => ctx.admin.wake(id));
      ctx.print(pod, (p) => `${p.tenantId}: running (pod ${p.podId})`);
    });
  tenant
    .command('sleep <id>')
    .description('Put the tenant to sleep now (final snapshot, stop)')
    .action(async (id: string, _opts: unknown, command: Command) => {
      const ctx = await cliContext(command);
      ctx.print(await ctx.admin.sleep(id), (r) => `${r.tenantId}: going to sleep`);
    });
  tenant
    .command('suspend <id>')
    .description('Refuse its traffic, drain and hold it (e.g. unpaid invoice)')
    .requiredOption('--reason <text>', 'why (kept in the workflow and shown by get)')
    .action(async (id: string, opts: { reason: string }, command: Command) => {
      const ctx = await cliContext(command);
      ctx.print(await ctx.wait(`suspending ${id}`, () => ctx.admin.suspend(id, opts.reason)), (r) =>
        phaseLine({ ...r, phase: paint(ctx, r.phase) }),
      );
    });
  tenant
    .command('resume <id>')
    .description('Leave suspended/failed, or cancel an offboard during its grace period')
    .action(async (id: string, _opts: unknown, command: Command) => {
      const ctx = await cliContext(command);
      ctx.print(await ctx.admin.resume(id), phaseLine);
    });

  tenant
    .command('delete <id>')
    .description('Offboard: delete snapshots, secrets and the record after a grace period')
    .option('--dry-run', 'only list what would be deleted', false)
    .option('--grace-days <n>', 'days before data is deleted (resume cancels)', positiveInt)
    .option('--yes', 'confirm a real offboard', false)
    .action(
      async (id: string, opts: { dryRun: boolean; graceDays?: number; yes: boolean }, command: Command) => {
        if (!opts.dryRun && !opts.yes)
          command.error(`refusing to offboard ${id} without --yes (see what would go with --dry-run)`, {
            exitCode: 2,
          });
        const ctx = await cliContext(command);
        const plan = await ctx.wait(`offboarding ${id}`, () =>
          ctx.admin.deleteTenant(id, { dryRun: opts.dryRun, graceDays: opts.graceDays }),
        );
        ctx.print(plan, (p) =>
          [
            p.dryRun
              ? `Dry run: offboarding ${p.tenantId} would delete, after ${p.deleteAfter}:`
              : `${p.tenantId} is offboarding; deleted after ${p.deleteAfter}:`,
            ...p.snapshots.map((s) => `  snapshot ${s.seq} (${s.size} bytes, ${s.createdAt})`),
            ...p.secretNames.map((name) => `  secret ${name}`),
            ...(p.registryRecord ? ['  registry record'] : []),
            'Kept:',
            ...p.kept.map((k) => `  ${k}`),
          ].join('\n'),
        );
      },
    );
}
