/** `clawfleet usage`, `snapshot list|restore`, `logs`, `status`: read a tenant's data and the fleet. */
import { Command, InvalidArgumentError } from 'commander';
import { cliContext, fields, paint, table } from '../context.js';
import { positiveInt } from './option-parsers.js';

function day(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new InvalidArgumentError('a UTC day like 2026-03-01');
  return value;
}

const usd = (micros: number) => `$${(micros / 1e6).toFixed(4)}`;

export function usageCommand(): Command {
  return new Command('usage')
    .description(
      'Usage for billing: a tenant by day (active seconds, wakes, messages, tokens, cost) and by model; without a tenant, every tenant ranked by model cost',
    )
    .argument('[tenant]')
    .option('--from <day>', 'first UTC day (default: 29 days before --to)', day)
    .option('--to <day>', 'last UTC day (default: today)', day)
    .action(async (tenant: string | undefined, opts: { from?: string; to?: string }, command: Command) => {
      const ctx = await cliContext(command);
      if (tenant === undefined) {
        const fleet = await ctx.admin.fleetUsage(opts);
        ctx.print(fleet, (r) =>
          [
            `fleet: ${r.from} .. ${r.to}`,
            table(
              ['TENANT', 'COST', 'TOKENS', 'REQUESTS'],
              r.tenants.map((t) => [t.tenantId, usd(t.costMicros), String(t.tokens), String(t.requests)]),
              'no model usage',
            ),
          ].join('\n'),
        );
        return;
      }
      const report = await ctx.admin.usage(tenant, opts);
      ctx.print(report, (r) =>
        [
          `${r.tenantId}: ${r.from} .. ${r.to}`,
          table(
            ['DAY', 'ACTIVE S', 'WAKES', 'MESSAGES', 'TOKENS', 'COST'],
            [
              ...r.days.map((d) => [
                d.day,
                String(d.activeSeconds),
                String(d.wakes),
                String(d.messages),
                String(d.tokens),
                usd(d.costMicros),
              ]),
              [
                'total',
                String(r.total.activeSeconds),
                String(r.total.wakes),
                String(r.total.messages),
                String(r.total.tokens),
                usd(r.total.costMicros),
              ],
            ],
          ),
          '',
          table(
            ['MODEL', 'REQUESTS', 'INPUT', 'CACHED', 'OUTPUT', 'COST', 'ESTIMATED'],
            r.models.map((m) => [
              m.model,
              String(m.requests),
              String(m.inputTokens),
              String(m.cachedTokens),
              String(m.outputTokens),
              usd(m.costMicros),
              String(m.estimatedRequests),
            ]),
            'no model usage',
          ),
        ].join('\n'),
      );
    });
}

export function snapshotCommand(): Command {
  const snapshot = new Command('snapshot').description('List and restore tenant snapshots');
  snapshot
    .command('list <tenant>')
    .description('Stored snapshots, newest first')
    .action(async (tenant: string, _opts: unknown, command: Command) => {
      const ctx = await cliContext(command);
      const result = await ctx.admin.listSnapshots(tenant);
      ctx.print(result, (r) =>
        table(
          ['SEQ', 'CREATED', 'SIZE', 'FILES', 'OPENCLAW', ''],
          r.snapshots.map((s) => [
            String(s.seq),
            s.createdAt,
            String(s.size),
            String(s.files),
            s.openclawVersion,
            s.seq === r.latestSnapshotSeq ? 'latest' : '',
          ]),
          `${tenant} has no snapshots`,
        ),
      );
    });
  snapshot
    .command('restore <tenant> <seq>')
    .description(
      'Make snapshot <seq> the newest again (the tenant must be asleep or suspended); the next wake starts from it',
    )
    .action(async (tenant: string, seq: string, _opts: unknown, command: Command) => {
      const ctx = await cliContext(command);
      const result = await ctx.wait(`restoring snapshot ${seq} of ${tenant}`, () =>
        ctx.admin.restoreSnapshot(tenant, positiveInt(seq)),
      );
      ctx.print(
        result,
        (r) => `${r.tenantId}: snapshot ${r.restoredFrom} saved as ${r.newSeq}; the next wake starts from it`,
      );
    });
  return snapshot;
}

export function logsCommand(): Command {
  return new Command('logs')
    .description("A tenant's supervisor and OpenClaw logs")
    .argument('<tenant>')
    .option('-n, --lines <n>', 'lines to show', positiveInt, 200)
    .option('-f, --follow', 'keep printing new lines until Ctrl-C', false)
    .action(async (tenant: string, opts: { lines: number; follow: boolean }, command: Command) => {
      const ctx = await cliContext(command);
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      for await (const entry of ctx.admin.logs(tenant, {
        lines: opts.lines,
        follow: opts.follow,
        signal: abort.signal,
      })) {
        console.log(
          ctx.output === 'json' ? JSON.stringify(entry) : `${entry.source.padEnd(10)} ${entry.line}`,
        );
      }
    });
}

export function statusCommand(): Command {
  return new Command('status')
    .description('Fleet summary: tenants by workflow phase')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = await cliContext(command);
      const status = await ctx.admin.fleetStatus();
      ctx.print(status, (s) =>
        [
          table(
            ['PHASE', 'TENANTS'],
            Object.entries(s.phases).map(([phase, n]) => [paint(ctx, phase), String(n)]),
          ),
          '',
          fields([['total (not deleted)', s.total]]),
        ].join('\n'),
      );
    });
}
