/**
 * The OpenClaw CLI calls the supervisor makes next to a running gateway, and
 * the read-only SQLite queries it makes once the gateway has stopped. The CLI
 * finds the gateway from OPENCLAW_STATE_DIR and the config's port and
 * authenticates with OPENCLAW_GATEWAY_TOKEN, so it runs with the gateway's
 * own environment (same HOME/TMPDIR isolation). Measured costs (openclaw-notes):
 * `cron status` 0.8 s, `sessions` 1.2 s, `backup create` 2.3–3.5 s.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
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

export interface SessionInfo {
  readonly key?: string;
  readonly status?: string;
  readonly updatedAt?: number | string;
  readonly lastInteractionAt?: number | string;
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

  /** Epoch ms of the scheduler's next wake across enabled jobs, or null. */
  async nextWakeAtMs(): Promise<number | null> {
    const status = await this.json(['cron', 'status', '--json']);
    const next = status['nextWakeAtMs'];
    return typeof next === 'number' && Number.isFinite(next) ? next : null;
  }

  async sessions(): Promise<SessionInfo[]> {
    const result = await this.json(['sessions', '--json']);
    return Array.isArray(result['sessions']) ? (result['sessions'] as SessionInfo[]) : [];
  }

  /**
   * Runs the gateway's shutdown budget counts as in flight: chat-completion
   * requests and cron runs (Telegram turns show only as running sessions).
   */
  async activeWork(): Promise<number> {
    const status = await this.json(['status', '--json']);
    const budget = status['shutdownBudget'] as { activeWork?: Record<string, unknown> } | undefined;
    const work = budget?.activeWork ?? {};
    const count = (key: string) => (typeof work[key] === 'number' ? work[key] : 0);
    return count('rootRequests') + count('cronRuns');
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

/** What a stopped gateway's state dir says about pending work; internal schema, so every query is guarded. */
export interface OfflineState {
  readonly nextRunAtMs: number | null;
  /** Telegram updates accepted (durably) but not yet processed: accepted during a drain, they run on the next boot. */
  readonly pendingIngress: number;
}

function hasTable(db: DatabaseSync, table: string, column: string): boolean {
  const columns = db.prepare(`select name from pragma_table_info(?)`).all(table) as { name: string }[];
  return columns.some((c) => c.name === column);
}

/**
 * Read-only. Exact once the gateway has stopped; while it runs this is a
 * plain SQLite reader next to OpenClaw's writer (WAL mode), which is safe.
 */
export function readOfflineState(stateDir: string): OfflineState {
  const path = join(stateDir, 'state', 'openclaw.sqlite');
  if (!existsSync(path)) return { nextRunAtMs: null, pendingIngress: 0 };
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    let nextRunAtMs: number | null = null;
    if (hasTable(db, 'cron_jobs', 'state_json')) {
      const row = db
        .prepare(
          `select min(json_extract(state_json, '$.nextRunAtMs')) as next from cron_jobs where enabled = 1`,
        )
        .get() as { next: number | null } | undefined;
      nextRunAtMs = typeof row?.next === 'number' ? row.next : null;
    }
    let pendingIngress = 0;
    if (hasTable(db, 'channel_ingress_events', 'status')) {
      const row = db
        .prepare(`select count(*) as n from channel_ingress_events where status = 'pending'`)
        .get() as { n: number } | undefined;
      pendingIngress = Number(row?.n ?? 0);
    }
    return { nextRunAtMs, pendingIngress };
  } finally {
    db.close();
  }
}
