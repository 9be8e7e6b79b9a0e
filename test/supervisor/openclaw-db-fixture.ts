/**
 * A state dir holding just the OpenClaw tables and columns the activity probe
 * reads (supervisor/openclaw-activity.ts), with the column names of OpenClaw 2026.9.6,
 * for tests without a real gateway. The real schema is checked against a
 * running gateway in supervisor-activity.test.ts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export interface FixtureCronJob {
  readonly id: string;
  readonly enabled?: boolean;
  readonly kind?: string;
  readonly nextRunAtMs?: number;
  readonly runningAtMs?: number;
  readonly queuedAtMs?: number;
}

export interface FixtureIngress {
  readonly id: string;
  readonly status: 'pending' | 'claimed' | 'completed' | 'failed';
  readonly completedAt?: number;
}

export interface FixtureSession {
  readonly key: string;
  readonly status: string | null;
  readonly updatedAt: number;
  readonly endedAt?: number;
}

export interface OpenClawFixture {
  readonly cron?: readonly FixtureCronJob[];
  readonly ingress?: readonly FixtureIngress[];
  /** Session keys with a turn claim. */
  readonly claims?: readonly string[];
  /** Sessions of agent `main`; no agent database when absent. */
  readonly sessions?: readonly FixtureSession[];
}

/** (Re)writes the fixture's rows into `<stateDir>/state/openclaw.sqlite` and the main agent's database. */
export function writeOpenClawFixture(stateDir: string, fixture: OpenClawFixture): void {
  mkdirSync(join(stateDir, 'state'), { recursive: true });
  const state = new DatabaseSync(join(stateDir, 'state', 'openclaw.sqlite'));
  state.exec(`pragma journal_mode = wal;
    create table if not exists cron_jobs (job_id text primary key, enabled integer, job_json text, state_json text);
    create table if not exists channel_ingress_events (event_id text primary key, status text, completed_at integer);
    create table if not exists worker_session_placements (session_id text primary key, session_key text, turn_claim_id text);
    delete from cron_jobs; delete from channel_ingress_events; delete from worker_session_placements;`);
  for (const job of fixture.cron ?? []) {
    const { nextRunAtMs, runningAtMs, queuedAtMs } = job;
    state
      .prepare(`insert into cron_jobs values (?, ?, ?, ?)`)
      .run(
        job.id,
        job.enabled === false ? 0 : 1,
        JSON.stringify({ id: job.id, schedule: { kind: job.kind ?? 'at' } }),
        JSON.stringify({ nextRunAtMs, runningAtMs, queuedAtMs }),
      );
  }
  for (const row of fixture.ingress ?? [])
    state
      .prepare(`insert into channel_ingress_events values (?, ?, ?)`)
      .run(row.id, row.status, row.completedAt ?? null);
  for (const [i, key] of (fixture.claims ?? []).entries())
    state.prepare(`insert into worker_session_placements values (?, ?, ?)`).run(`s${i}`, key, `claim-${i}`);
  state.close();
  if (!fixture.sessions) return;
  const dir = join(stateDir, 'agents', 'main', 'agent');
  mkdirSync(dir, { recursive: true });
  const agent = new DatabaseSync(join(dir, 'openclaw-agent.sqlite'));
  agent.exec(`pragma journal_mode = wal;
    create table if not exists session_windows (session_id text primary key, session_key text, status text, updated_at integer, ended_at integer);
    delete from session_windows;`);
  for (const [i, s] of fixture.sessions.entries())
    agent
      .prepare(`insert into session_windows values (?, ?, ?, ?, ?)`)
      .run(`w${i}`, s.key, s.status, s.updatedAt, s.endedAt ?? null);
  agent.close();
}
