import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ADOPTION_GRACE_MS, readStoredActivity } from '../../supervisor/openclaw-activity.js';
import { writeOpenClawFixture } from './openclaw-db-fixture.js';

describe("the activity probe's reading of OpenClaw's databases", () => {
  let stateDir: string;
  const now = Date.now();
  const live = { live: true, nowMs: now };

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'clawfleet-activity-'));
  });
  afterEach(() => rm(stateDir, { recursive: true, force: true }));

  it('reads an empty or fresh state dir as idle with nothing scheduled', () => {
    assert.deepEqual(readStoredActivity(stateDir, live), {
      inFlightRuns: 0,
      lastActiveAtMs: null,
      nextRunAtMs: null,
      missing: [],
    });
  });

  it('counts a turn once whether it shows as a running session, a turn claim or both', () => {
    writeOpenClawFixture(stateDir, {
      claims: ['agent:main:main', 'agent:main:openai-user:u1'],
      sessions: [
        { key: 'agent:main:main', status: 'running', updatedAt: now - 1_000 },
        { key: 'agent:main:telegram:group', status: 'running', updatedAt: now - 2_000 },
        { key: 'agent:main:old', status: 'done', updatedAt: now - 60_000 },
      ],
    });
    const activity = readStoredActivity(stateDir, live);
    assert.equal(activity.inFlightRuns, 3);
    assert.equal(activity.lastActiveAtMs, now - 1_000);
  });

  it('counts unprocessed updates, and an adopted one until its turn shows or a turn ends', () => {
    const previousTurn = { key: 'agent:main:main', status: 'done', updatedAt: now - 200, endedAt: now - 200 };
    writeOpenClawFixture(stateDir, {
      ingress: [
        { id: '1', status: 'pending' },
        { id: '2', status: 'claimed' },
        { id: '3', status: 'completed', completedAt: now - 100 },
        { id: '4', status: 'completed', completedAt: now - ADOPTION_GRACE_MS - 1 },
        { id: '5', status: 'failed' },
      ],
      sessions: [previousTurn],
    });
    assert.equal(readStoredActivity(stateDir, live).inFlightRuns, 3, 'pending, claimed, just adopted');
    const adopted = [{ id: '3', status: 'completed' as const, completedAt: now - 100 }];
    writeOpenClawFixture(stateDir, {
      ingress: adopted,
      claims: ['agent:main:main'],
      sessions: [previousTurn],
    });
    assert.equal(readStoredActivity(stateDir, live).inFlightRuns, 1, 'the adopted update is that turn');
    writeOpenClawFixture(stateDir, { ingress: adopted, sessions: [{ ...previousTurn, endedAt: now - 50 }] });
    assert.equal(readStoredActivity(stateDir, live).inFlightRuns, 0, 'and its turn has ended');
  });

  it('counts a cron run from queued to finished, once when its isolated session runs', () => {
    writeOpenClawFixture(stateDir, {
      cron: [
        { id: 'job-a', queuedAtMs: now },
        { id: 'job-b', runningAtMs: now - 5_000 },
        { id: 'job-c', nextRunAtMs: now + 60_000 },
      ],
      claims: ['agent:main:cron:job-b:run:r1'],
      sessions: [{ key: 'agent:main:cron:job-b:run:r1', status: 'running', updatedAt: now }],
    });
    assert.equal(readStoredActivity(stateDir, live).inFlightRuns, 2);
  });

  it("takes the next run of enabled, time-scheduled jobs only, as OpenClaw's own nextWakeAtMs", () => {
    writeOpenClawFixture(stateDir, {
      cron: [
        { id: 'disabled', enabled: false, nextRunAtMs: now + 1_000 },
        { id: 'watcher', kind: 'stream', nextRunAtMs: now + 2_000 },
        { id: 'on-exit', kind: 'on-exit', nextRunAtMs: now + 2_500 },
        { id: 'unscheduled', nextRunAtMs: 0 },
        { id: 'never' },
        { id: 'daily', kind: 'cron', nextRunAtMs: now + 3_000 },
        { id: 'reminder', kind: 'at', nextRunAtMs: now + 4_000 },
      ],
    });
    assert.equal(readStoredActivity(stateDir, live).nextRunAtMs, now + 3_000);
  });

  it('once the gateway is down, counts only unprocessed updates: sessions, claims and run markers are leftovers', () => {
    writeOpenClawFixture(stateDir, {
      ingress: [
        { id: '1', status: 'pending' },
        { id: '2', status: 'completed', completedAt: now },
      ],
      cron: [{ id: 'job', runningAtMs: now, nextRunAtMs: now + 60_000 }],
      claims: ['agent:main:main'],
      sessions: [{ key: 'agent:main:main', status: 'running', updatedAt: now - 10 }],
    });
    const activity = readStoredActivity(stateDir, { live: false, nowMs: now });
    assert.deepEqual(
      [activity.inFlightRuns, activity.nextRunAtMs, activity.lastActiveAtMs],
      [1, now + 60_000, now - 10],
    );
  });

  it('reads a signal whose table or column is missing as no work and names it', () => {
    mkdirSync(join(stateDir, 'state'));
    const db = new DatabaseSync(join(stateDir, 'state', 'openclaw.sqlite'));
    db.exec(`create table cron_jobs (job_id text, enabled integer, state_json text);
      create table channel_ingress_events (event_id text, status text);
      insert into channel_ingress_events values ('1', 'pending')`);
    db.close();
    const activity = readStoredActivity(stateDir, live);
    assert.equal(activity.inFlightRuns, 1);
    assert.equal(activity.nextRunAtMs, null);
    assert.deepEqual(activity.missing.toSorted(), [
      'channel_ingress_events.completed_at',
      'cron_jobs.job_json',
      'worker_session_placements.turn_claim_id',
    ]);
  });

  it('reads a database OpenClaw holds locked as busy rather than failing the probe', () => {
    mkdirSync(join(stateDir, 'state'));
    const writer = new DatabaseSync(join(stateDir, 'state', 'openclaw.sqlite'));
    try {
      // Rollback-journal mode, as a database is for a moment while OpenClaw creates it.
      writer.exec(`create table channel_ingress_events (event_id text, status text); begin exclusive;`);
      assert.equal(readStoredActivity(stateDir, live).inFlightRuns, 1);
    } finally {
      writer.close();
    }
  });
});
