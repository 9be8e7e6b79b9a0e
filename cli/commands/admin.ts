/**
 * `clawfleet admin …`: set-up and admin tokens. `init` works without the
 * admin API (it talks to DynamoDB directly), so it can create the tables and
 * the first platform token of a new installation; `router-keys` (also direct)
 * writes the router's key file where the master key is, so the router never
 * needs the master key.
 */
import { Command } from 'commander';
import { ensurePlatformTokenFile } from '../../admin/bootstrap.js';
import { AdminTokenStore } from '../../admin/token-store.js';
import { createDynamoClient } from '../../common/aws-clients.js';
import { adminTokenPath, loadConfig, masterKeyPath, routerKeyPath } from '../../common/config.js';
import { FileMasterKey } from '../../common/crypto.js';
import { createDocumentClient } from '../../registry/document-client.js';
import { ensureRouterKeyFile } from '../../registry/platform-keys.js';
import { ensureTables, tableNames } from '../../registry/tables.js';
import { cliContext, globalFlags, table } from '../context.js';

export function adminCommand(): Command {
  const admin = new Command('admin').description('Installation set-up and admin tokens');

  admin
    .command('init')
    .description('Create the DynamoDB tables if missing and write a platform admin token file (idempotent)')
    .option(
      '--token-file <path>',
      'where to write the token (default: CLAWFLEET_ADMIN_TOKEN_FILE or <data dir>/keys/admin.token)',
    )
    .action(async (opts: { tokenFile?: string }, command: Command) => {
      const config = loadConfig();
      const dynamo = createDynamoClient(config);
      try {
        const names = tableNames(config.aws.tablePrefix);
        const created = await ensureTables(dynamo, names);
        const tokens = new AdminTokenStore(createDocumentClient(dynamo), names.secrets);
        const result = await ensurePlatformTokenFile(tokens, opts.tokenFile ?? adminTokenPath(config));
        const summary = {
          tablesCreated: created,
          tables: Object.values(names),
          tokenFile: result.path,
          tokenCreated: result.created,
          tokenId: result.tokenId,
        };
        const { output } = globalFlags(command);
        console.log(
          output === 'json'
            ? JSON.stringify(summary, null, 2)
            : [
                `tables: ${summary.tables.join(', ')} (${created.length ? `created ${created.join(', ')}` : 'all existed'})`,
                `platform token ${result.tokenId}: ${result.created ? 'written to' : 'already valid in'} ${result.path} (mode 600)`,
              ].join('\n'),
        );
      } finally {
        dynamo.destroy();
      }
    });

  admin
    .command('router-keys')
    .description(
      'Write the router key file (the credential pepper and the forwarding root, mode 600) with the master key; idempotent',
    )
    .option(
      '--out <path>',
      'where to write it (default: CLAWFLEET_ROUTER_KEY_FILE or <data dir>/keys/router.key)',
    )
    .action(async (opts: { out?: string }, command: Command) => {
      const config = loadConfig();
      // Never a fresh master key here: one that wraps nothing yet would give the router keys nobody else has.
      const masterKey = await FileMasterKey.open(masterKeyPath(config), { create: false });
      const dynamo = createDynamoClient(config);
      try {
        const doc = createDocumentClient(dynamo);
        const tables = tableNames(config.aws.tablePrefix);
        const result = await ensureRouterKeyFile(opts.out ?? routerKeyPath(config), {
          doc,
          tables,
          masterKey,
        });
        const { output } = globalFlags(command);
        console.log(
          output === 'json'
            ? JSON.stringify(result, null, 2)
            : `router key file ${result.written ? 'written to' : 'already current in'} ${result.path} (mode 600)`,
        );
      } finally {
        dynamo.destroy();
      }
    });

  const token = admin.command('token').description('Admin tokens (platform, or tenant:<id> for one tenant)');
  token
    .command('create')
    .description('Create a token; it is printed once')
    .requiredOption('--scope <scope>', 'platform, or tenant:<id>')
    .requiredOption('--name <name>', 'who holds it, e.g. billing')
    .action(async (opts: { scope: string; name: string }, command: Command) => {
      const ctx = await cliContext(command);
      const created = await ctx.admin.createToken(opts.scope, opts.name);
      ctx.print(created, (c) => `token ${c.info.tokenId} (${c.info.scope}), shown once:\n${c.token}`);
    });
  token
    .command('list')
    .description('Token ids, scopes and names (never the tokens)')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = await cliContext(command);
      const { items } = await ctx.admin.listTokens();
      ctx.print(items, (rows) =>
        table(
          ['TOKEN ID', 'SCOPE', 'NAME', 'CREATED'],
          rows.map((t) => [t.tokenId, t.scope, t.name, t.createdAt]),
        ),
      );
    });
  token
    .command('revoke <tokenId>')
    .description('Revoke a token at once')
    .action(async (tokenId: string, _opts: unknown, command: Command) => {
      const ctx = await cliContext(command);
      await ctx.admin.revokeToken(tokenId);
      ctx.print({ tokenId, revoked: true }, () => `token ${tokenId} revoked`);
    });
  return admin;
}
