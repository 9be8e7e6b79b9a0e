/** `clawfleet tenant …`: create, list, inspect and change tenants through the admin API (lifecycle: tenant-lifecycle.ts). */
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { QUOTA_KINDS } from '../../common/quotas.js';
import type { SandboxView } from '../../client/admin-types.js';
import type { GrantableTool } from '../../common/tool-tiers.js';
import { cliContext, fields, paint, table } from '../context.js';
import { duration, positiveInt, quota, toolList } from './option-parsers.js';
import { secretValue } from './secret.js';
import { addLifecycleCommands } from './tenant-lifecycle.js';
import { telegramFields, webhookLine } from './telegram-lines.js';

const TIERS = ['free', 'standard', 'pro'];

interface TenantOptions {
  name?: string;
  tier?: 'free' | 'standard' | 'pro';
  idleTimeout?: number;
  openclawVersion?: string;
}
const STATUSES = ['active', 'suspended', 'failed', 'offboarding'];

type CreateOptions = TenantOptions & { idempotencyKey?: string; telegramBotTokenFile?: string };

const ago = (iso: string) => {
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  return s < 90
    ? `${s}s ago`
    : s < 5400
      ? `${Math.round(s / 60)}m ago`
      : s < 129600
        ? `${Math.round(s / 3600)}h ago`
        : `${Math.round(s / 86400)}d ago`;
};

export function tenantCommand(): Command {
  const tenant = new Command('tenant').description('Create, inspect, change and offboard tenants');

  tenant
    .command('create <id>')
    .description('Create a tenant: registry record, secrets, credentials and its workflow (asleep)')
    .option('--name <name>', 'display name (default: the id)')
    .addOption(new Option('--tier <tier>', 'service tier').choices(TIERS).default('standard'))
    .option('--idle-timeout <duration>', 'idle time before sleeping, e.g. 15m', duration)
    .option('--openclaw-version <version>', 'OpenClaw version (default: the pinned one)')
    .option('--idempotency-key <key>', 'retry-safe creation (same key + same input = same answer)')
    .option(
      '--telegram-bot-token-file <path>',
      "connect this bot: the token is checked with Telegram and the tenant's webhook registered",
    )
    .action(async (id: string, opts: CreateOptions, command: Command) => {
      const botToken = opts.telegramBotTokenFile
        ? secretValue(await readFile(opts.telegramBotTokenFile, 'utf8'))
        : undefined;
      if (botToken === '') command.error('the bot token file is empty', { exitCode: 2 });
      const ctx = await cliContext(command);
      const created = await ctx.wait(`creating ${id}`, () =>
        ctx.admin.createTenant(
          {
            tenantId: id,
            ...(opts.name !== undefined && { displayName: opts.name }),
            tier: opts.tier,
            ...(opts.idleTimeout !== undefined && { idleTimeoutMs: opts.idleTimeout }),
            ...(opts.openclawVersion !== undefined && {
              openclawVersion: opts.openclawVersion,
            }),
            ...(botToken !== undefined && { secrets: { 'telegram-bot-token': botToken } }),
          },
          { idempotencyKey: opts.idempotencyKey },
        ),
      );
      ctx.print(created, (c) =>
        [
          fields([
            ['tenant', c.tenant.tenantId],
            ['tier', c.tenant.tier],
            ['status', paint(ctx, c.tenant.status)],
            ['workflow', c.workflowId],
            ['ready in', `${c.onboardingMs} ms`],
            ['api key id', c.apiKeyId],
            ...(c.telegram
              ? ([
                  ['telegram bot', `@${c.telegram.botUsername}`],
                  ['webhook', webhookLine(c.telegram.webhook)],
                ] as [string, unknown][])
              : []),
          ]),
          c.apiKey
            ? `\nAPI key (shown once, store it now): ${c.apiKey.apiKey}`
            : '\n(idempotent replay: the API key was shown by the first call; issue a new one if it was lost)',
        ].join('\n'),
      );
    });

  tenant
    .command('list')
    .description('List tenants')
    .addOption(new Option('--status <status>', 'only this status').choices(STATUSES))
    .addOption(new Option('--tier <tier>', 'only this tier').choices(TIERS))
    .option('--limit <n>', 'at most n tenants', positiveInt, 1000)
    .action(async (opts: { status?: string; tier?: 'free'; limit: number }, command: Command) => {
      const ctx = await cliContext(command);
      const items = [];
      for await (const item of ctx.admin.allTenants({ status: opts.status, tier: opts.tier })) {
        items.push(item);
        if (items.length >= opts.limit) break;
      }
      ctx.print(items, (rows) =>
        table(
          ['TENANT', 'NAME', 'TIER', 'STATUS', 'LAST ACTIVE', 'SNAPSHOT'],
          rows.map((t) => [
            t.tenantId,
            t.displayName,
            t.tier,
            paint(ctx, t.status),
            ago(t.lastActiveAt),
            String(t.latestSnapshotSeq ?? '-'),
          ]),
          'no tenants',
        ),
      );
    });

  tenant
    .command('get <id>')
    .description('Show a tenant: registry record, workflow phase and live state')
    .action(async (id: string, _opts: unknown, command: Command) => {
      const ctx = await cliContext(command);
      const detail = await ctx.admin.getTenant(id);
      ctx.print(detail, ({ tenant: t, phase, live }) =>
        fields([
          ['tenant', t.tenantId],
          ['name', t.displayName],
          ['status', paint(ctx, t.status)],
          ['phase', paint(ctx, phase)],
          ['tier', t.tier],
          ['idle timeout', `${t.idleTimeoutMs / 1000}s`],
          ['openclaw', t.openclawVersion],
          ['quotas', t.quotas],
          ['tools', `${t.effectiveTools.join(', ')}${t.tools.allow || t.tools.deny ? ' (override)' : ''}`],
          ['secrets', t.secretNames.join(', ')],
          ['api keys', t.apiKeyIds.join(', ')],
          ['snapshot', t.latestSnapshotSeq],
          ['last active', t.lastActiveAt],
          ['pod', live?.pod?.podId],
          ['buffered', live ? `${live.bufferedMessages} messages` : undefined],
          ['reason', live?.reason],
          ['sandbox', sandboxLine(detail.sandbox)],
          [
            'quota hit',
            detail.quotaHits?.length
              ? detail.quotaHits
                  .map((h) => `${h.kind} (limit ${h.limit}) at ${h.lastAt}, ${h.hits}× today`)
                  .join('; ')
              : undefined,
          ],
          ['delete after', live?.deleteAfter],
          ...telegramFields(detail.telegram),
          ['version', t.version],
        ]),
      );
    });

  tenant
    .command('update <id>')
    .description('Change tier, idle timeout, OpenClaw version, quotas or name')
    .option('--name <name>', 'display name')
    .addOption(new Option('--tier <tier>', 'service tier').choices(TIERS))
    .option('--idle-timeout <duration>', 'idle time before sleeping, e.g. 15m', duration)
    .option(
      '--openclaw-version <version>',
      'OpenClaw version (applies at the next wake) and pin it: fleet upgrades skip the tenant',
    )
    .option('--unpin', 'release the OpenClaw version pin: fleet upgrades move the tenant again')
    .option('--quota <key=n>', `quota (repeatable): ${QUOTA_KINDS.join(', ')}`, quota)
    .option(
      '--allow-tools <list>',
      "tools added to the tier's (comma-separated); with --deny-tools, replaces the tool override",
      toolList,
    )
    .option('--deny-tools <list>', "tools removed from the tier's (comma-separated)", toolList)
    .option('--tier-tools', "drop the tool override: the tier's tools again")
    .option(
      '--expected-version <n>',
      'fail with a conflict unless the tenant is at this version',
      positiveInt,
    )
    .action(
      async (
        id: string,
        opts: TenantOptions & {
          quota?: Record<string, number>;
          expectedVersion?: number;
          unpin?: boolean;
          allowTools?: GrantableTool[];
          denyTools?: GrantableTool[];
          tierTools?: boolean;
        },
        command: Command,
      ) => {
        const ctx = await cliContext(command);
        const patch = {
          ...(opts.name !== undefined && { displayName: opts.name }),
          ...(opts.tier !== undefined && { tier: opts.tier }),
          ...(opts.idleTimeout !== undefined && { idleTimeoutMs: opts.idleTimeout }),
          ...(opts.openclawVersion !== undefined && { openclawVersion: opts.openclawVersion }),
          ...(opts.quota !== undefined && { quotas: opts.quota }),
          ...(opts.unpin && { openclawPinned: false }),
          ...(opts.tierTools && { tools: {} }),
          ...((opts.allowTools || opts.denyTools) && {
            tools: {
              ...(opts.allowTools && { allow: opts.allowTools }),
              ...(opts.denyTools && { deny: opts.denyTools }),
            },
          }),
        };
        if (opts.tierTools && (opts.allowTools || opts.denyTools))
          command.error('--tier-tools drops the override: pass it alone', { exitCode: 2 });
        if (Object.keys(patch).length === 0)
          command.error('nothing to change: pass at least one option', { exitCode: 2 });
        const updated = await ctx.admin.updateTenant(id, patch, {
          expectedVersion: opts.expectedVersion,
        });
        ctx.print(updated, (t) =>
          fields([
            ['tenant', t.tenantId],
            ['tier', t.tier],
            ['idle timeout', `${t.idleTimeoutMs / 1000}s`],
            ['openclaw', `${t.openclawVersion}${t.openclawPinned ? ' (pinned)' : ''}`],
            ['quotas', t.quotas],
            ['tools', t.effectiveTools.join(', ')],
            ['version', t.version],
          ]),
        );
      },
    );
  addLifecycleCommands(tenant);
  return tenant;
}

/** `on, uid 200003, memory 612/2560 MiB, 1.5 cores, 384 pids`, or the unsandboxed warning. */
function sandboxLine(sandbox: SandboxView | null | undefined): string | undefined {
  if (!sandbox) return undefined;
  if (sandbox.mode === 'off') return 'OFF: tenants run unsandboxed (CLAWFLEET_LOCAL_SANDBOX=off)';
  if (sandbox.uid === null || !sandbox.limits) return 'on (not running now)';
  const mib = (bytes: number | null) => (bytes === null ? '?' : String(Math.round(bytes / 2 ** 20)));
  const { limits } = sandbox;
  return `on, uid ${sandbox.uid}, memory ${mib(sandbox.memoryBytes)}/${mib(limits.memoryMaxBytes)} MiB, ${limits.cpuMilliCores / 1000} cores, ${limits.pidsMax} pids, disk ${mib(limits.diskBytes)} MiB`;
}
