/**
 * Chat turns kept by the client's `Idempotency-Key`, so a client that
 * retries (its connection, the router or the supervisor died mid-answer) gets
 * one answer and the agent runs the turn once:
 * - a key seen with its answer complete: the stored answer is replayed;
 * - a key whose turn is still running in this process: the retry waits for it;
 * - a key whose turn was cut off by a crash (recorded as started, never
 *   finished): the turn runs again, once, and that is the one answer.
 * Entries live in the tenant's state dir (`clawfleet/chat/`, archived with the
 * snapshots), so they survive a relaunch of the tenant on another pod. Each
 * entry is written to a temporary file, synced and renamed, so a crash leaves
 * the old entry or the new one, never half of one.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../common/logger.js';

/** The shape the admin API accepts for its own Idempotency-Key too. */
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,128}$/;
/** Where the journal lives, relative to the state dir (a top-level entry the snapshots archive). */
export const CHAT_JOURNAL_DIR = join('clawfleet', 'chat');

export interface StoredAnswer {
  readonly status: number;
  readonly contentType: string | null;
  /** The response body as sent, base64 (SSE streams are replayed byte for byte). */
  readonly body: string;
}

interface Entry {
  readonly requestSha256: string;
  readonly startedAt: string;
  readonly answer?: StoredAnswer;
}

export type Lookup =
  | { readonly kind: 'answered'; readonly answer: StoredAnswer }
  | { readonly kind: 'running'; readonly settled: Promise<unknown> }
  | { readonly kind: 'other-request' }
  | { readonly kind: 'new'; readonly interrupted: boolean };

export interface ChatJournalOptions {
  readonly stateDir: string;
  readonly logger: Logger;
  /** Answers older than this are forgotten at start. @default 24 h */
  readonly keepMs?: number;
  /** Larger answers are sent but not kept (a retry then runs the turn again). @default 4 MiB */
  readonly maxAnswerBytes?: number;
}

/** One turn being recorded: its answer is kept only when `finish` is reached. */
export interface TurnRecord {
  append(chunk: Uint8Array): void;
  finish(status: number, contentType: string | null): Promise<void>;
  abandon(): Promise<void>;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export class ChatJournal {
  private readonly dir: string;
  private readonly running = new Map<string, Promise<unknown>>();
  private readonly keepMs: number;
  private readonly maxAnswerBytes: number;

  constructor(private readonly options: ChatJournalOptions) {
    this.dir = join(options.stateDir, CHAT_JOURNAL_DIR);
    this.keepMs = options.keepMs ?? 24 * 3600_000;
    this.maxAnswerBytes = options.maxAnswerBytes ?? 4 * 1024 * 1024;
  }

  async lookup(key: string, requestBody: string): Promise<Lookup> {
    const file = this.fileOf(key);
    const running = this.running.get(file);
    if (running) return { kind: 'running', settled: running };
    const entry = await this.read(file);
    if (!entry) return { kind: 'new', interrupted: false };
    if (entry.requestSha256 !== sha256(requestBody)) return { kind: 'other-request' };
    if (entry.answer) return { kind: 'answered', answer: entry.answer };
    return { kind: 'new', interrupted: true };
  }

  /** Records the turn as started (durably, before it reaches the agent). */
  async begin(key: string, requestBody: string): Promise<TurnRecord> {
    const file = this.fileOf(key);
    let settle!: () => void;
    this.running.set(file, new Promise<void>((resolve) => (settle = resolve)));
    const requestSha256 = sha256(requestBody);
    const startedAt = new Date().toISOString();
    const done = () => {
      this.running.delete(file);
      settle();
    };
    try {
      await this.write(file, { requestSha256, startedAt });
    } catch (error) {
      done();
      throw error;
    }
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    return {
      append: (chunk) => {
        bytes += chunk.byteLength;
        if (bytes <= this.maxAnswerBytes) chunks.push(chunk);
      },
      finish: async (status, contentType) => {
        try {
          if (bytes > this.maxAnswerBytes) await rm(file, { force: true });
          else {
            const body = Buffer.concat(chunks).toString('base64');
            await this.write(file, { requestSha256, startedAt, answer: { status, contentType, body } });
          }
        } finally {
          done();
        }
      },
      abandon: async () => {
        try {
          await rm(file, { force: true });
        } finally {
          done();
        }
      },
    };
  }

  /** Forgets answers older than `keepMs`; run once at start. */
  async prune(now = Date.now()): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      const path = join(this.dir, name);
      const info = await stat(path).catch(() => null);
      if (info && now - info.mtimeMs > this.keepMs) {
        await rm(path, { force: true });
        removed++;
      }
    }
    if (removed > 0) this.options.logger.info({ removed }, 'old chat answers forgotten');
    return removed;
  }

  /** The key is never a file name itself: its hash is (no traversal, no length or charset surprises). */
  private fileOf(key: string): string {
    return join(this.dir, `${sha256(key)}.json`);
  }

  private async read(file: string): Promise<Entry | null> {
    const text = await readFile(file, 'utf8').catch(() => null);
    if (text === null) return null;
    try {
      return JSON.parse(text) as Entry;
    } catch {
      this.options.logger.warn({ file }, 'unreadable chat journal entry ignored');
      return null;
    }
  }

  private async write(file: string, entry: Entry): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const temporary = `${file}.tmp`;
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(entry));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  }
}
