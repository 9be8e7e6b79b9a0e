/**
 * What OpenClaw's own databases say about a tenant's work, read in-process
 * with plain read-only SQLite queries: no OpenClaw CLI process (three per
 * probe cost ~8 CPU-seconds and ~0.9 GB for 5 s, and under a burst of wakes
 * they took a host down: docs/benchmarks.md, bench:probe). OpenClaw runs
 * both databases in WAL mode, where a reader next to its writer
 * is safe and never blocks it. The schema is OpenClaw's internal one, so every
 * query is guarded by a table/column check: a missing signal reads as no work
 * and is reported in `missing`. test/supervisor/supervisor-activity.test.ts holds the
 * signals to the pinned version with a real gateway mid-turn.
 *
 * Signals, as polled every 10 ms through turns of OpenClaw 2026.9.6:
 * - `state/openclaw.sqlite` `channel_ingress_events`: an accepted Telegram
 *   update is `pending`, `claimed` while dispatched or queued behind a running
 *   turn, `completed` once a turn adopts it;
 * - `worker_session_placements.turn_claim_id`: set from just after adoption
 *   to the end of every turn (Telegram, chat completions, cron runs);
 * - agent DB `session_windows.status = 'running'` for most of each turn;
 * - `cron_jobs.state_json`: `queuedAtMs`/`runningAtMs` for the whole of a run,
 *   `nextRunAtMs` of each job, written by the scheduler on every change (the
 *   value `openclaw cron status` reports as `nextWakeAtMs`).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * A completed (adopted) update shows as a turn claim 0.08–0.19 s later
 * (measured); until then nothing in the databases shows that turn. An update
 * adopted within this grace counts while no turn shows and none has ended
 * since, which closes that gap; an update that starts no turn at all stays
 * "busy" this long.
 */
export const ADOPTION_GRACE_MS = 5_000;
/** OpenClaw locks a database briefly while it creates it (first turn); wait that out first. */
const BUSY_TIMEOUT_MS = 200;

export interface StoredActivity {
  /** Distinct runs in flight as far as the databases tell (see `readStoredActivity`). */
  readonly inFlightRuns: number;
  /** Latest session update (turn start or end), epoch ms. */
  readonly lastActiveAtMs: number | null;
  /** Earliest next run of an enabled time-scheduled cron job, epoch ms. */
  readonly nextRunAtMs: number | null;
  /** Signals whose table or column does not exist (yet): they read as no work. */
  readonly missing: readonly string[];
}

export interface ReadOptions {
  /**
   * The gateway process is up (ready or draining). When it is not, running
   * sessions, turn claims and cron run markers are leftovers of the last
   * process, and only unprocessed updates are work (they run on the next boot).
   */
  readonly live: boolean;
  readonly nowMs: number;
}

interface DbRead {
  /** `table.column` exists; otherwise recorded as missing. */
  has(table: string, column: string): boolean;
  all<T>(sql: string, ...params: (string | number)[]): T[];
}

/** Reads every signal; the caller combines them with what the supervisor knows itself. */
export function readStoredActivity(stateDir: string, options: ReadOptions): StoredActivity {
  const missing = new Set<string>();
  let locked = false;
  const read = <T>(path: string, fn: (db: DbRead) => T, empty: T): T => {
    if (!existsSync(path)) return empty;
    const result = withReadOnly(path, missing, fn);
    if (result !== LOCKED) return result;
    locked = true;
    return empty;
  };

  const state = read(join(stateDir, 'state', 'openclaw.sqlite'), (db) => readState(db, options), NO_STATE);
  const agents = agentDatabases(stateDir).map((path) => read(path, (db) => readAgent(db, options), NO_AGENT));

  // One turn shows as a running session, a turn claim or both: count session keys once.
  const turns = new Set([...state.claimedKeys, ...agents.flatMap((a) => a.runningKeys)]);
  // An isolated cron run's session key names its job; a run before its session exists counts on its own.
  const cronOnly = state.cronRunIds.filter((id) => ![...turns].some((key) => key.includes(`:cron:${id}`)));
  const lastEnded = Math.max(0, ...agents.map((a) => a.lastEndedAtMs ?? 0));
  const adopted = turns.size === 0 ? state.adoptedAtMs.filter((at) => at > lastEnded).length : 0;
  const inFlightRuns =
    turns.size +
    cronOnly.length +
    state.unprocessed +
    adopted +
    // A database OpenClaw holds locked is one it is writing right now: busy, not unknown.
    (locked ? 1 : 0);
  const times = agents.map((a) => a.lastActiveAtMs).filter((t): t is number => t !== null);
  return {
    inFlightRuns,
    lastActiveAtMs: times.length > 0 ? Math.max(...times) : null,
    nextRunAtMs: state.nextRunAtMs,
    missing: [...missing],
  };
}

interface StateSignals {
  /** Updates accepted and not yet adopted by a turn. */
  readonly unprocessed: number;
  /** When each update adopted within the grace was adopted. */
  readonly adoptedAtMs: readonly number[];
  readonly claimedKeys: readonly string[];
  /** Cron jobs with a run queued or running. */
  readonly cronRunIds: readonly string[];
  readonly nextRunAtMs: number | null;
}
const NO_STATE: StateSignals = {
  unprocessed: 0,
  adoptedAtMs: [],
  claimedKeys: [],
  cronRunIds: [],
  nextRunAtMs: null,
};

interface AgentSignals {
  readonly runningKeys: readonly string[];
  readonly lastActiveAtMs: number | null;
  /** When the latest turn ended. */
  readonly lastEndedAtMs: number | null;
}
const NO_AGENT: AgentSignals = { runningKeys: [], lastActiveAtMs: null, lastEndedAtMs: null };

function readState(db: DbRead, { live, nowMs }: ReadOptions): StateSignals {
  const count = (rows: { n: number }[]) => Number(rows[0]?.n ?? 0);
  const ingress = db.has('channel_ingress_events', 'status');
  const unprocessed = ingress
    ? count(db.all(`select count(*) as n from channel_ingress_events where status in ('pending', 'claimed')`))
    : 0;
  const adoptedAtMs =
    live && ingress && db.has('channel_ingress_events', 'completed_at')
      ? db
          .all<{ at: number }>(
            `select completed_at as at from channel_ingress_events where status = 'completed' and completed_at >= ?`,
            nowMs - ADOPTION_GRACE_MS,
          )
          .map((r) => r.at)
      : [];
  const claimedKeys =
    live && db.has('worker_session_placements', 'turn_claim_id')
      ? db
          .all<{ key: string }>(
            `select distinct session_key as key from worker_session_placements where turn_claim_id is not null`,
          )
          .map((r) => r.key)
      : [];
  const cron = db.has('cron_jobs', 'state_json') && db.has('cron_jobs', 'job_json');
  const numeric = (path: string) => `json_type(state_json, '${path}') in ('integer', 'real')`;
  const cronRunIds =
    live && cron
      ? db
          .all<{ id: string }>(
            `select job_id as id from cron_jobs where ${numeric('$.queuedAtMs')} or ${numeric('$.runningAtMs')}`,
          )
          .map((r) => r.id)
      : [];
  // As OpenClaw's own nextWakeAtMs: enabled jobs with a time schedule (not on-exit/stream watchers).
  const next =
    cron && db.has('cron_jobs', 'enabled')
      ? db.all<{ next: number | null }>(
          `select min(json_extract(state_json, '$.nextRunAtMs')) as next from cron_jobs
           where enabled = 1 and ${numeric('$.nextRunAtMs')} and json_extract(state_json, '$.nextRunAtMs') > 0
             and coalesce(json_extract(job_json, '$.schedule.kind'), '') not in ('on-exit', 'stream')`,
        )[0]?.next
      : null;
  return {
    unprocessed,
    adoptedAtMs,
    claimedKeys,
    cronRunIds,
    nextRunAtMs: typeof next === 'number' ? next : null,
  };
}

function readAgent(db: DbRead, { live }: ReadOptions): AgentSignals {
  const windows = db.has('session_windows', 'session_key');
  const runningKeys =
    live && windows && db.has('session_windows', 'status')
      ? db
          .all<{ key: string }>(`select session_key as key from session_windows where status = 'running'`)
          .map((r) => r.key)
      : [];
  const max = (column: string) =>
    windows && db.has('session_windows', column)
      ? db.all<{ at: number | null }>(`select max(${column}) as at from session_windows`)[0]?.at
      : null;
  const positive = (at: number | null | undefined) => (typeof at === 'number' && at > 0 ? at : null);
  return {
    runningKeys,
    lastActiveAtMs: positive(max('updated_at')),
    lastEndedAtMs: live ? positive(max('ended_at')) : null,
  };
}

/** `agents/<id>/agent/openclaw-agent.sqlite` for every agent that has run. */
function agentDatabases(stateDir: string): string[] {
  const root = join(stateDir, 'agents');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((id) => join(root, id, 'agent', 'openclaw-agent.sqlite'))
    .filter((path) => existsSync(path));
}

const LOCKED = Symbol('locked');

function withReadOnly<T>(path: string, missing: Set<string>, fn: (db: DbRead) => T): T | typeof LOCKED {
  const db = new DatabaseSync(path, { readOnly: true, timeout: BUSY_TIMEOUT_MS });
  const columns = new Map<string, Set<string>>();
  const read: DbRead = {
    has(table, column) {
      let names = columns.get(table);
      if (!names) {
        const rows = db.prepare(`select name from pragma_table_info(?)`).all(table) as { name: string }[];
        names = new Set(rows.map((r) => r.name));
        columns.set(table, names);
      }
      if (!names.has(column)) missing.add(`${table}.${column}`);
      return names.has(column);
    },
    all: <R>(sql: string, ...params: (string | number)[]) => db.prepare(sql).all(...params) as R[],
  };
  try {
    // One read transaction: the queries of one database see one consistent state.
    db.exec('begin');
    return fn(read);
  } catch (err) {
    // SQLITE_BUSY / SQLITE_LOCKED (and their extended codes) after the busy timeout.
    const code = (err as { errcode?: number }).errcode;
    if (code !== undefined && [5, 6].includes(code & 0xff)) return LOCKED;
    throw err;
  } finally {
    db.close();
  }
}
