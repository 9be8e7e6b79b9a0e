import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack, type Header } from 'tar-stream';

/** One entry of a hand-made (possibly hostile) tarball. */
export interface TarEntry {
  readonly name: string;
  readonly type?: Header['type'];
  readonly content?: string | Buffer;
  readonly linkname?: string;
  readonly size?: number;
}

/** A tarball exactly as described, bypassing every rule of our own packer. */
export async function tarOf(entries: readonly TarEntry[]): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of tar) chunks.push(chunk as Buffer);
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const body = type === 'file' ? Buffer.from(e.content ?? '') : undefined;
    await new Promise<void>((resolve, reject) => {
      const header = {
        name: e.name,
        type,
        linkname: e.linkname,
        size: e.size ?? body?.length ?? 0,
        mode: 0o644,
      };
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      tar.entry(header, body ?? Buffer.alloc(0), done);
    });
  }
  tar.finalize();
  await collected;
  return Buffer.concat(chunks);
}

/** A temp directory removed by the returned cleanup. */
export async function tempDir(
  prefix = 'clawfleet-snap-test-',
): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/**
 * A synthetic OpenClaw state dir of roughly `bytes`: JSON config, SQLite-like
 * binary blobs, markdown memory, transcripts (text), random credentials, plus
 * the disposable parts a snapshot must drop.
 */
export async function makeStateDir(root: string, bytes = 3_000_000, seed = 'v1'): Promise<void> {
  const write = async (rel: string, data: string | Buffer, mode = 0o644) => {
    await mkdir(join(root, rel, '..'), { recursive: true });
    await writeFile(join(root, rel), data, { mode });
  };
  await write(
    'openclaw.json',
    JSON.stringify({ seed, gateway: { bind: '127.0.0.1' }, agents: { defaults: {} } }, null, 2),
    0o600,
  );
  await write('config-journal-fingerprint.key', randomBytes(32), 0o600);
  await write('credentials/telegram.json', JSON.stringify({ token: randomBytes(24).toString('hex') }), 0o600);
  await write('workspace/AGENTS.md', `# Agents\n${'Be helpful and brief. '.repeat(200)}\n`);
  await write('workspace/MEMORY.md', `# Memory ${seed}\n${'- the user likes tea\n'.repeat(300)}`);
  const random = Math.floor(bytes * 0.3);
  await write(
    'state/openclaw.sqlite',
    Buffer.concat([Buffer.alloc(Math.floor(bytes * 0.2)), randomBytes(random / 2)]),
  );
  await write('agents/main/agent/openclaw-agent.sqlite', randomBytes(random / 2));
  let text = 0;
  for (let i = 0; text < bytes * 0.45; i++) {
    const lines = Array.from({ length: 40 }, (_, turn) =>
      JSON.stringify({ role: turn % 2 ? 'assistant' : 'user', turn, at: Date.now() + turn, text: prose(30) }),
    );
    const chunk = `${lines.join('\n')}\n`;
    await write(`agents/main/sessions/session-${String(i).padStart(4, '0')}.jsonl`, chunk);
    const notes = `## Day ${i}\n${prose(50)}\n`;
    await write(`workspace/memory/day-${i}.md`, notes);
    text += chunk.length + notes.length;
  }
  await write('state/openclaw.sqlite-wal', randomBytes(1000));
  await write('state/openclaw.sqlite-shm', randomBytes(1000));
  await write('cache/ui/app.js', 'x'.repeat(10_000));
  await write('tmp/upload.part', randomBytes(1000));
  await write('media/photo.jpg', randomBytes(1000));
  await write('gateway.log', 'log line\n'.repeat(100));
}

/** A fixed vocabulary of made-up words, so text compresses like prose rather than like a repeated string. */
const WORDS = Array.from({ length: 3000 }, () =>
  randomBytes(4)
    .toString('base64url')
    .slice(0, 2 + (randomBytes(1)[0]! % 7)),
);

function prose(words: number): string {
  return Array.from({ length: words }, () => WORDS[randomBytes(2).readUInt16BE() % WORDS.length]).join(' ');
}

/** Every file under `root` with its content, for equality checks (directories and links by kind). */
export async function snapshotOf(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const rel = join(entry.parentPath, entry.name).slice(root.length + 1);
    if (entry.isFile()) out[rel] = (await readFile(join(root, rel))).toString('base64');
    else out[rel] = entry.isDirectory() ? '<dir>' : '<link>';
  }
  return out;
}

/** A small state dir `<parent>/src-<label>` whose MEMORY.md names `label`, so restores can be told apart. */
export async function labelledStateDir(parent: string, label: string, bytes = 50_000): Promise<string> {
  const path = join(parent, `src-${label}`);
  await mkdir(path);
  await makeStateDir(path, bytes, label);
  return path;
}

/** The MEMORY.md of a restored (or source) state dir. */
export const memoryOf = (root: string) => readFile(join(root, 'workspace', 'MEMORY.md'), 'utf8');
