/**
 * Pack an OpenClaw state dir into a tar stream: only the durable top-level
 * entries, never live SQLite WAL/SHM files, and only entries the extractor
 * would accept (the same rules, entry-rules.ts), so a snapshot that saves also
 * restores. The tar is produced as a stream with backpressure; nothing holds
 * the whole archive in memory.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pack, type Pack } from 'tar-stream';
import { entryComponents, resolveSymlinkTarget } from './entry-rules.js';
import { ArchiveLimitError, UnsafeArchiveEntryError } from './errors.js';
import { DEFAULT_LIMITS, type ArchiveLimits } from './extract.js';

/** Top-level entries of an OpenClaw state dir that survive sleep (FACTS.md: state dir). */
export const DURABLE_ENTRIES: readonly string[] = [
  'openclaw.json',
  'state',
  'agents',
  'workspace',
  'credentials',
  'config-journal-fingerprint.key',
  // The supervisor's own durable records (supervisor/chat-journal.ts): they travel with the tenant.
  'clawfleet',
];

/** Files never archived at any depth: a live SQLite WAL/SHM is not a consistent copy. */
const NEVER_ARCHIVED = /\.(sqlite|db)-(wal|shm)$/;

export interface PackOptions {
  /** Top-level names to archive; everything else (cache/, tmp/, media/, logs) is dropped. @default DURABLE_ENTRIES */
  readonly include?: readonly string[];
  /** Extra exclusion by path relative to the root (`/`-separated). @default none */
  readonly exclude?: (relativePath: string) => boolean;
  /** Refuse to pack more than this; the same limits bound restore. @default DEFAULT_LIMITS */
  readonly limits?: ArchiveLimits;
}

export interface PackStats {
  /** Entries written (files, directories, symlinks). */
  readonly files: number;
  /** Bytes of file content. */
  readonly unpackedBytes: number;
  /** What was left out on purpose, with why (capped at 100 items). */
  readonly skipped: readonly { path: string; reason: string }[];
}

export interface PackedDirectory {
  /** The uncompressed tar stream; fails (is destroyed) if packing fails. */
  readonly tar: Readable;
  /** Resolves once the last entry is written; rejects with the same error the stream fails with. */
  readonly done: Promise<PackStats>;
}

/** Start packing `root`; consume `tar` and await `done`. */
export function packDirectory(root: string, options: PackOptions = {}): PackedDirectory {
  const tar = pack();
  const packer = new Packer(root, tar, options);
  // tar-stream streams are streamx streams; Readable.from gives Node's pipeline a native one (pull, with backpressure).
  const stream = Readable.from(tar);
  const done = packer.run().then(
    (stats) => {
      tar.finalize();
      return stats;
    },
    (err: unknown) => {
      tar.destroy(err instanceof Error ? err : new Error(String(err)));
      throw err;
    },
  );
  done.catch(() => undefined); // the stream carries the failure to whoever consumes it
  return { tar: stream, done };
}

class Packer {
  private files = 0;
  private bytes = 0;
  private readonly skipped: { path: string; reason: string }[] = [];
  private readonly symlinks = new Map<
    string,
    { parts: string[]; target: string; mode: number; mtime: Date }
  >();
  private readonly include: ReadonlySet<string>;
  private readonly limits: ArchiveLimits;

  constructor(
    private readonly root: string,
    private readonly tar: Pack,
    private readonly options: PackOptions,
  ) {
    this.include = new Set(options.include ?? DURABLE_ENTRIES);
    this.limits = options.limits ?? DEFAULT_LIMITS;
  }

  async run(): Promise<PackStats> {
    const names = (await readdir(this.root)).sort();
    for (const name of names) {
      if (this.include.has(name)) await this.visit([name]);
      else this.skip(name, 'not a durable entry of the state dir');
    }
    await this.writeSymlinks();
    return { files: this.files, unpackedBytes: this.bytes, skipped: this.skipped };
  }

  private async visit(parts: string[]): Promise<void> {
    const rel = parts.join('/');
    if (NEVER_ARCHIVED.test(rel)) return this.skip(rel, 'live SQLite WAL/SHM file');
    if (this.options.exclude?.(rel)) return this.skip(rel, 'excluded');
    try {
      entryComponents(rel);
    } catch (err) {
      return this.skip(rel, (err as Error).message);
    }
    const path = join(this.root, ...parts);
    const stat = await lstat(path);
    const header = { name: rel, mode: stat.mode & 0o777, mtime: stat.mtime, uid: 0, gid: 0 };
    if (stat.isDirectory()) {
      this.count(rel, 0);
      await this.entry({ ...header, type: 'directory' });
      for (const child of (await readdir(path)).sort()) await this.visit([...parts, child]);
    } else if (stat.isFile()) {
      this.count(rel, stat.size);
      await this.entry({ ...header, type: 'file', size: stat.size }, path);
    } else if (stat.isSymbolicLink()) {
      this.symlinks.set(rel, { parts, target: await readlink(path), mode: header.mode, mtime: stat.mtime });
    } else {
      this.skip(rel, 'not a regular file, directory or symlink');
    }
  }

  /** Symlinks go last and only if the extractor would accept them, judged against all links. */
  private async writeSymlinks(): Promise<void> {
    const isSymlink = (p: string) => this.symlinks.has(p);
    for (const [rel, link] of this.symlinks) {
      try {
        resolveSymlinkTarget(rel, link.parts, link.target, isSymlink);
      } catch (err) {
        if (!(err instanceof UnsafeArchiveEntryError)) throw err;
        this.skip(rel, err.message);
        continue;
      }
      this.count(rel, 0);
      await this.entry({
        name: rel,
        type: 'symlink',
        linkname: link.target,
        mode: link.mode,
        mtime: link.mtime,
      });
    }
  }

  private count(rel: string, size: number): void {
    if (++this.files > this.limits.maxFiles) throw new ArchiveLimitError('files', this.limits.maxFiles, rel);
    this.bytes += size;
    if (this.bytes > this.limits.maxBytes) throw new ArchiveLimitError('bytes', this.limits.maxBytes, rel);
  }

  private skip(path: string, reason: string): void {
    if (this.skipped.length < 100) this.skipped.push({ path, reason });
  }

  /** Write one entry; file content is streamed from `source` (a file that changes size mid-read fails the pack). */
  private entry(header: Parameters<Pack['entry']>[0], source?: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const sink = this.tar.entry(header, (err) => (err ? reject(err) : resolve()));
      if (source === undefined) return;
      const content = createReadStream(source);
      content.on('error', (err) => {
        sink.destroy(err);
        reject(err);
      });
      content.pipe(sink);
    });
  }
}
