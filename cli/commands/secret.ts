/**
 * `clawfleet secret …`: tenant secrets. Values come from a file or stdin,
 * never from the command line (argv is visible to every user in `ps` and
 * lands in shell history).
 */
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { cliContext, table } from '../context.js';
import { webhookLine } from './telegram-lines.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** One trailing newline (from `echo` or an editor) is not part of the secret. */
export function secretValue(raw: string): string {
  return raw.replace(/\r?\n$/, '');
}

export function secretCommand(): Command {
  const secret = new Command('secret').description('Set, remove, list and rotate tenant secrets');

  secret
    .command('put <tenant> <name>')
    .description(
      'Set a secret (e.g. telegram-bot-token, model-openai) from --from-file or stdin. A bot token is checked with Telegram and its webhook registered at once; other secrets are used from the next wake',
    )
    .option('--from-file <path>', 'read the value from this file (default: stdin)')
    .action(async (tenant: string, name: string, opts: { fromFile?: string }, command: Command) => {
      if (!opts.fromFile && process.stdin.isTTY)
        console.error('Reading the secret from stdin: paste it, then press Ctrl-D.');
      const value = secretValue(opts.fromFile ? await readFile(opts.fromFile, 'utf8') : await readStdin());
      if (!value) command.error('the secret is empty', { exitCode: 2 });
      const ctx = await cliContext(command);
      const telegram = await ctx.wait(`storing ${name}`, () => ctx.admin.putSecret(tenant, name, value));
      ctx.print({ tenantId: tenant, name, stored: true, ...(telegram && { telegram }) }, () =>
        telegram
          ? `${tenant}: bot @${telegram.botUsername} connected; ${webhookLine(telegram.webhook)}`
          : `${tenant}: secret ${name} stored (used from the next wake)`,
      );
    });

  secret
    .command('rm <tenant> <name>')
    .description('Remove a secret')
    .action(async (tenant: string, name: string, _opts: unknown, command: Command) => {
      const ctx = await cliContext(command);
      await ctx.admin.deleteSecret(tenant, name);
      ctx.print({ tenantId: tenant, name, removed: true }, () => `${tenant}: secret ${name} removed`);
    });

  secret
    .command('list <tenant>')
    .description('Secret names (never values)')
    .action(async (tenant: string, _opts: unknown, command: Command) => {
      const ctx = await cliContext(command);
      const { names } = await ctx.admin.listSecrets(tenant);
      ctx.print({ tenantId: tenant, names }, (r) =>
        table(
          ['SECRET'],
          r.names.map((n) => [n]),
        ),
      );
    });

  secret
    .command('rotate <tenant>')
    .description('Regenerate the gateway, hooks and supervisor tokens; effective at the next wake')
    .option(
      '--webhook-secret',
      'also issue a new Telegram webhook secret, registered with Telegram at once (the old one is accepted until then)',
      false,
    )
    .action(async (tenant: string, opts: { webhookSecret: boolean }, command: Command) => {
      const ctx = await cliContext(command);
      const result = await ctx.admin.rotateSecrets(tenant, { webhookSecret: opts.webhookSecret });
      ctx.print(result, (r) =>
        [
          `${tenant}: rotated ${r.rotated.join(', ')} (tokens effective at the next wake)`,
          ...(r.webhook ? [webhookLine(r.webhook)] : []),
        ].join('\n'),
      );
    });

  return secret;
}
