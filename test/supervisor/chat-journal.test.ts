import { strict as assert } from 'node:assert';
import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { CHAT_JOURNAL_DIR, ChatJournal } from '../../supervisor/chat-journal.js';

describe('supervisor chat journal (answers by Idempotency-Key, in the state dir)', () => {
  let stateDir: string;
  const logger = pino({ level: 'silent' });
  const journal = (keepMs?: number) =>
    new ChatJournal({ stateDir, logger, ...(keepMs !== undefined ? { keepMs } : {}) });

  beforeEach(async () => (stateDir = await mkdtemp(join(tmpdir(), 'clawfleet-chat-journal-'))));
  afterEach(() => rm(stateDir, { recursive: true, force: true }));

  it('keeps a finished answer for the same key and body, and survives a new process (a relaunch)', async () => {
    const turn = await journal().begin('key-00000001', '{"q":1}');
    turn.append(Buffer.from('data: a\n\n'));
    turn.append(Buffer.from('data: [DONE]\n\n'));
    await turn.finish(200, 'text/event-stream');
    const found = await journal().lookup('key-00000001', '{"q":1}');
    assert.equal(found.kind, 'answered');
    assert.equal(
      found.kind === 'answered' && Buffer.from(found.answer.body, 'base64').toString(),
      'data: a\n\ndata: [DONE]\n\n',
    );
    assert.equal((await journal().lookup('key-00000001', '{"q":2}')).kind, 'other-request');
    assert.deepEqual(await journal().lookup('key-00000002', '{"q":1}'), { kind: 'new', interrupted: false });
  });

  it('a turn still running is awaited; a turn cut off by a crash (started, never finished) runs again', async () => {
    const live = journal();
    const turn = await live.begin('key-00000003', 'body');
    const running = await live.lookup('key-00000003', 'body');
    assert.equal(running.kind, 'running');
    // Another process (the relaunched supervisor) finds the durable "started" record only: the turn was cut off.
    assert.deepEqual(await journal().lookup('key-00000003', 'body'), { kind: 'new', interrupted: true });
    await turn.abandon();
    assert.equal(running.kind === 'running' && (await running.settled), undefined);
    assert.deepEqual(await live.lookup('key-00000003', 'body'), { kind: 'new', interrupted: false });
  });

  it('keys are hashed into file names (no traversal); old answers are pruned; too large answers are not kept', async () => {
    const small = new ChatJournal({ stateDir, logger, maxAnswerBytes: 4 });
    const big = await small.begin('../../etc/passwd', 'b');
    big.append(Buffer.from('12345'));
    await big.finish(200, 'application/json');
    assert.deepEqual(await small.lookup('../../etc/passwd', 'b'), { kind: 'new', interrupted: false });
    const turn = await small.begin('key-00000004', 'b');
    await turn.finish(200, null);
    const dir = join(stateDir, CHAT_JOURNAL_DIR);
    const files = await readdir(dir);
    assert.deepEqual(
      files.map((f) => /^[0-9a-f]{64}\.json$/.test(f)),
      [true],
    );
    const old = new Date(Date.now() - 2 * 3600_000);
    await utimes(join(dir, files[0]!), old, old);
    assert.equal(await journal(3600_000).prune(), 1);
    assert.deepEqual(await readdir(dir), []);
  });
});
