/**
 * Holds Telegram deliveries back until OpenClaw's restart recovery has taken
 * the turn a crash cut off.
 *
 * A gateway that dies mid-turn leaves its session marked `running`; once the
 * next boot's post-ready work starts, OpenClaw re-dispatches that turn (docs:
 * gateway/restart-recovery.md, "Automatic resume"; no delay in 2026.9), and
 * skips a session that is no longer `running` by then. A relaunched pod is
 * handed the updates that waited for it the moment it is ready, which races
 * that recovery: on a loaded host the first update ran as an ordinary turn on
 * the interrupted session, settled it, and the interrupted message was never
 * answered (the chaos run's one lost update, seed 4242, load average 32).
 * So before each boot the supervisor reads whether any session is marked
 * `running`; if one is, deliveries wait until OpenClaw logs that its startup
 * recovery ran (or gave up), bounded by `waitMs` after the gateway is ready.
 * A delivery made after that queues behind the resumed turn.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Logger } from '../common/logger.js';

/** OpenClaw's main-session-restart-recovery log lines that end its startup pass. */
const RECOVERY_DONE = /main-session restart recovery (startup complete|gave up)/;
const CARRY_CHARS = 120;

/** Session keys whose turn was running when the last gateway stopped, from each agent's SQLite database. */
export async function interruptedSessions(stateDir: string): Promise<string[]> {
  const agents = await readdir(join(stateDir, 'agents')).catch(() => [] as string[]);
  const running: string[] = [];
  for (const agent of agents) {
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(join(stateDir, 'agents', agent, 'agent', 'openclaw-agent.sqlite'), {
        readOnly: true,
      });
      const rows = db.prepare("SELECT session_key FROM session_nodes WHERE status = 'running'").all();
      running.push(...rows.map((row) => String(row['session_key'])));
    } catch {
      // No database yet (a fresh tenant) or none for this agent: nothing of it was running.
    } finally {
      db?.close();
    }
  }
  return running;
}

export class RestartRecoveryGate {
  private carry = '';
  private pending: string[] = [];
  private done: Promise<void> = Promise.resolve();
  private finish: () => void = () => undefined;

  constructor(
    private readonly options: { readonly stateDir: string; readonly waitMs: number; readonly logger: Logger },
  ) {}

  /** Before a gateway boots: is there a cut-off turn its recovery will resume? */
  async arm(): Promise<void> {
    this.carry = '';
    this.finish();
    this.pending = await interruptedSessions(this.options.stateDir);
    if (this.pending.length === 0) {
      this.done = Promise.resolve();
      return;
    }
    this.options.logger.info(
      { sessions: this.pending },
      'a turn was cut off: deliveries wait for OpenClaw to resume it',
    );
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  /** Gateway output, as it arrives. */
  observe(chunk: string): void {
    if (this.pending.length === 0) return;
    const text = this.carry + chunk;
    this.carry = text.slice(-CARRY_CHARS);
    if (!RECOVERY_DONE.test(text)) return;
    this.options.logger.info({ sessions: this.pending }, 'OpenClaw resumed the cut-off turn');
    this.pending = [];
    this.finish();
  }

  /** Resolves once the recovery ran, or `waitMs` after the call (called once the gateway is ready). */
  async recovered(): Promise<void> {
    if (this.pending.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>(
      (resolve) => (timer = setTimeout(() => resolve(true), this.options.waitMs)),
    );
    const timedOut = await Promise.race([this.done.then(() => false), late]);
    clearTimeout(timer);
    if (timedOut && this.pending.length > 0) {
      this.options.logger.warn(
        { sessions: this.pending, waitMs: this.options.waitMs },
        'OpenClaw did not report its restart recovery in time; delivering anyway',
      );
      this.pending = [];
      this.finish();
    }
  }
}
