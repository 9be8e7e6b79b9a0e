/**
 * What every admin command shares: where the admin API is and which token
 * to present (flags, then CLAWFLEET_ADMIN_URL / CLAWFLEET_ADMIN_TOKEN, then
 * the CLI config file, then the embedded stack's token file), and how to
 * print (`--output table|json`, `--no-color`, spinners only on a terminal).
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { styleText } from 'node:util';
import type { Command } from 'commander';
import { createSpinner } from 'nanospinner';
import { AdminClient } from '../client/admin-client.js';
import { adminTokenPath, loadConfig, type Config } from '../common/config.js';
import { ClawfleetError } from '../common/errors.js';
import { renderTable } from '../dev/status-table.js';

export type OutputFormat = 'table' | 'json';

export interface GlobalFlags {
  readonly adminUrl?: string;
  readonly token?: string;
  readonly output: OutputFormat;
  readonly color: boolean;
}

export interface CliContext {
  readonly admin: AdminClient;
  readonly output: OutputFormat;
  readonly color: boolean;
  /** JSON prints `data`; table prints what `table` renders from it. */
  print<T>(data: T, table: (data: T) => string): void;
  /** Runs `work` under a spinner (terminal + table output only). */
  wait<T>(text: string, work: () => Promise<T>): Promise<T>;
  /** A short message for humans (stderr, so JSON on stdout stays parseable). */
  note(message: string): void;
}

/** The admin URL or token could not be found anywhere. */
export class CliConfigError extends ClawfleetError {
  constructor(message: string) {
    super('CLI_CONFIG_MISSING', message);
  }
}

interface FileConfig {
  readonly adminUrl?: string;
  readonly token?: string;
}

async function readJson(path: string): Promise<FileConfig> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as FileConfig;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliConfigError(`cannot read CLI config file ${path}: ${(error as Error).message}`);
  }
}

export async function resolveConnection(
  flags: Pick<GlobalFlags, 'adminUrl' | 'token'>,
  config: Config = loadConfig(),
): Promise<{ url: string; token: string }> {
  const file = await readJson(
    config.cli.configFile || join(homedir(), '.config', 'clawfleet', 'config.json'),
  );
  const url =
    flags.adminUrl ||
    config.cli.adminUrl ||
    file.adminUrl ||
    `http://${config.router.host}:${config.admin.port}`;
  let token = flags.token || config.cli.adminToken || file.token;
  if (!token) {
    const path = adminTokenPath(config);
    token = await readFile(path, 'utf8').then(
      (text) => text.trim(),
      () => undefined,
    );
    if (!token)
      throw new CliConfigError(
        `no admin token: pass --token, set CLAWFLEET_ADMIN_TOKEN, add "token" to the CLI config file, or run \`clawfleet admin init\` (writes ${path})`,
      );
  }
  return { url, token };
}

export function globalFlags(command: Command): GlobalFlags {
  const opts = command.optsWithGlobals<Record<string, unknown>>();
  const output = opts['output'] === 'json' ? 'json' : 'table';
  const color = opts['color'] !== false && process.stdout.isTTY === true;
  return {
    adminUrl: opts['adminUrl'] as string | undefined,
    token: opts['token'] as string | undefined,
    output,
    color,
  };
}

export async function cliContext(command: Command): Promise<CliContext> {
  const flags = globalFlags(command);
  const { url, token } = await resolveConnection(flags);
  const interactive = flags.output === 'table' && process.stderr.isTTY === true;
  return {
    admin: new AdminClient({ baseUrl: url, token }),
    output: flags.output,
    color: flags.color,
    print: (data, table) => {
      console.log(flags.output === 'json' ? JSON.stringify(data, null, 2) : table(data));
    },
    wait: async (text, work) => {
      if (!interactive) return work();
      const spinner = createSpinner(text, { color: flags.color ? 'yellow' : undefined }).start();
      try {
        const result = await work();
        spinner.success();
        return result;
      } catch (error) {
        spinner.error();
        throw error;
      }
    },
    note: (message) => {
      if (flags.output === 'table') console.error(message);
    },
  };
}

/** An aligned table; `emptyText` when there are no rows. */
export function table(headers: string[], rows: string[][], emptyText = '(none)'): string {
  return rows.length === 0 ? emptyText : renderTable(headers, rows);
}

/** Key/value lines for one object. */
export function fields(entries: [string, unknown][]): string {
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries
    .map(
      ([k, v]) =>
        `${k.padEnd(width)}  ${v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v as string)}`,
    )
    .join('\n');
}

const PHASE_COLORS: Record<string, Parameters<typeof styleText>[0]> = {
  running: 'green',
  waking: 'cyan',
  draining: 'cyan',
  suspended: 'yellow',
  offboarding: 'yellow',
  failed: 'red',
  deleted: 'gray',
};

/** A phase or status, coloured when colour is on. */
export function paint(ctx: Pick<CliContext, 'color'>, value: string | null | undefined): string {
  const text = value ?? '-';
  const color = PHASE_COLORS[text];
  return ctx.color && color ? styleText(color, text) : text;
}
