/**
 * The OpenClaw CLI calls the supervisor makes next to a running gateway: only
 * `backup create`, the fallback of the live snapshot (state-sync.ts). The
 * activity probe reads OpenClaw's databases instead (openclaw-activity.ts):
 * every CLI call is a new Node process of ~2.7 s CPU and ~0.3 GB
 * (bench:probe). The CLI finds the gateway from OPENCLAW_STATE_DIR and the
 * config's port and authenticates with OPENCLAW_GATEWAY_TOKEN, so it runs with
 * the gateway's own environment (same HOME/TMPDIR isolation). Measured:
 * `backup create` 2.3–3.5 s.
 */
import { runCommand } from '../dev/run-command.js';
import { OpenClawCliError } from './errors.js';

export interface OpenClawCliOptions {
  readonly node: string;
  readonly entry: string;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** @default 60 s */
  readonly timeoutMs?: number;
}

export interface BackupResult {
  readonly archivePath: string;
  readonly archiveRoot: string;
}

/** CLI output may carry log lines around the JSON document; take the outermost object. */
export function parseJsonOutput(command: string, stdout: string): Record<string, unknown> {
  const start = stdout.indexOf('{');
  const end = stdout.lastIndexOf('}');
  try {
    if (start < 0 || end < start) throw new Error('no JSON object in output');
    return JSON.parse(stdout.slice(start, end + 1)) as Record<string, unknown>;
  } catch (err) {
    throw new OpenClawCliError(command, `unreadable output (${(err as Error).message})`, { cause: err });
  }
}

export class OpenClawCli {
  constructor(private readonly options: OpenClawCliOptions) {}

  async json(args: readonly string[]): Promise<Record<string, unknown>> {
    const command = args.filter((a) => !a.startsWith('/')).join(' ');
    try {
      const { stdout } = await runCommand(this.options.node, [this.options.entry, ...args], {
        timeoutMs: this.options.timeoutMs ?? 60_000,
        env: this.options.env,
        cwd: this.options.cwd,
      });
      return parseJsonOutput(command, stdout);
    } catch (err) {
      if (err instanceof OpenClawCliError) throw err;
      throw new OpenClawCliError(command, (err as Error).message.split('\n')[0] ?? 'failed', { cause: err });
    }
  }

  /** A consistent archive of the running gateway's state (SQLite online backup), as tar.gz in `outputDir`. */
  async backup(outputDir: string): Promise<BackupResult> {
    const result = await this.json(['backup', 'create', '--output', outputDir, '--verify', '--json']);
    const { archivePath, archiveRoot, verified } = result;
    if (typeof archivePath !== 'string' || typeof archiveRoot !== 'string' || verified === false)
      throw new OpenClawCliError('backup create', 'no verified archive reported');
    return { archivePath, archiveRoot };
  }
}
