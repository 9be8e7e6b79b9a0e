/**
 * Safe extraction of an untrusted tar stream into a fresh directory (a
 * restore swaps it into place: replace-directory.ts). Nothing is ever
 * written outside the target: names are checked lexically (entry-rules.ts),
 * files are opened with O_EXCL|O_NOFOLLOW, nothing is written beneath a
 * symlink, and symlinks are created last.
 */
import { constants } from 'node:fs';
import { chmod, link, lutimes, mkdir, open, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, type Extract } from 'tar-stream';
import { entryComponents, isBeneathSymlink, resolveSymlinkTarget } from './entry-rules.js';
import { ClawfleetError } from '../common/errors.js';
import { ArchiveFormatError, ArchiveLimitError, UnsafeArchiveEntryError } from './errors.js';

export interface ArchiveLimits {
  /** Most entries (files, directories, links) an archive may hold. @default 100_000 */
  readonly maxFiles: number;
  /** Most bytes of file content an archive may unpack to. @default 2 GiB */
  readonly maxBytes: number;
}

export const DEFAULT_LIMITS: ArchiveLimits = { maxFiles: 100_000, maxBytes: 2 * 1024 ** 3 };

export interface ExtractStats {
  readonly entries: number;
  readonly files: number;
  readonly bytes: number;
}

/** One archive entry as the parser yields it (tar-stream does not export the type). */
type Entry = Extract extends AsyncIterable<infer T> ? T : never;

const CREATE_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Extract the plain tar stream `tar` into `dir`, which must be a fresh empty
 * directory. On any refusal or failure the caller discards `dir`.
 */
export async function extractTar(
  tar: Readable,
  dir: string,
  limits: ArchiveLimits = DEFAULT_LIMITS,
): Promise<ExtractStats> {
  const state = new Extraction(dir, limits);
  const parser = extract();
  // Headers, padding and pax records are not counted by entry sizes; this bounds
  // the raw tar stream too, so a decompression bomb of padding still stops.
  const budget = byteBudget(limits.maxBytes + (limits.maxFiles + 16) * 2048, limits.maxBytes);
  const feeding = pipeline(tar, budget, parser);
  feeding.catch(() => undefined); // observed below; the iterator fails with the same error
  try {
    for await (const entry of parser) await state.add(entry);
    await feeding;
    await state.finish();
  } catch (err) {
    parser.destroy();
    tar.destroy();
    await feeding.catch(() => undefined);
    throw asFormatError(err);
  }
  return state.stats();
}

class Extraction {
  private entries = 0;
  private files = 0;
  private bytes = 0;
  private readonly kinds = new Map<string, 'dir' | 'file' | 'symlink'>();
  private readonly regularFiles = new Set<string>();
  private readonly symlinks = new Map<string, { name: string; parts: string[]; target: string }>();
  private readonly dirModes = new Map<string, number>();

  constructor(
    private readonly root: string,
    private readonly limits: ArchiveLimits,
  ) {}

  async add(entry: Entry): Promise<void> {
    const { header } = entry;
    const parts = this.admit(header.name, header.type);
    const path = join(this.root, ...parts);
    switch (header.type) {
      case 'directory':
        if (parts.length > 0) {
          await mkdir(path, { recursive: true, mode: 0o700 });
          this.dirModes.set(path, header.mode ?? 0o700);
        }
        break;
      case 'file':
      case 'contiguous-file':
        await this.writeFile(entry, parts, path);
        return;
      case 'symlink':
        this.symlinks.set(parts.join('/'), { name: header.name, parts, target: header.linkname ?? '' });
        break;
      case 'link':
        await this.hardlink(header.name, header.linkname ?? '', parts, path);
        break;
      default:
        throw new UnsafeArchiveEntryError(
          'special-file',
          header.name,
          `entry type ${String(header.type)} is not allowed`,
        );
    }
    entry.resume();
  }

  /** Name, count and placement checks common to every entry; returns its components. */
  private admit(name: string, type: Entry['header']['type']): string[] {
    if (++this.entries > this.limits.maxFiles)
      throw new ArchiveLimitError('files', this.limits.maxFiles, name);
    const parts = entryComponents(name);
    if (parts.length === 0) {
      if (type === 'directory') return parts;
      throw new UnsafeArchiveEntryError('invalid-name', name, 'only a directory may name the archive root');
    }
    if (isBeneathSymlink(parts, this.symlinks)) {
      throw new UnsafeArchiveEntryError('beneath-link', name, 'entry would be written through a symlink');
    }
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const kind = this.kinds.get(parent);
      if (kind !== undefined && kind !== 'dir') {
        throw new UnsafeArchiveEntryError(
          'duplicate-entry',
          name,
          'a file of the archive is used as a directory',
        );
      }
      this.kinds.set(parent, 'dir');
    }
    const key = parts.join('/');
    const kind = type === 'directory' ? 'dir' : type === 'symlink' ? 'symlink' : 'file';
    const existing = this.kinds.get(key);
    // Repeated directories are harmless (tar writers emit them); anything else twice is not.
    if (existing !== undefined && !(existing === 'dir' && kind === 'dir')) {
      throw new UnsafeArchiveEntryError('duplicate-entry', name, 'name appears twice in the archive');
    }
    this.kinds.set(key, kind);
    return parts;
  }

  private async writeFile(entry: Entry, parts: string[], path: string): Promise<void> {
    const size = entry.header.size ?? 0;
    this.bytes += size;
    if (this.bytes > this.limits.maxBytes)
      throw new ArchiveLimitError('bytes', this.limits.maxBytes, entry.header.name);
    this.files++;
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const mode = ((entry.header.mode ?? 0o600) & 0o777) | 0o600;
    const file = await open(path, CREATE_FILE, mode);
    try {
      // Iterate rather than pipeline(): an entry stream (streamx) that already failed because the
      // archive was truncated emits no further events, and Node's pipeline would wait forever.
      let written = 0;
      for await (const chunk of entry) written += (await file.write(chunk as Buffer)).bytesWritten;
      if (written !== size)
        throw new ArchiveFormatError(`entry ${JSON.stringify(entry.header.name)} is truncated`);
    } finally {
      await file.close();
    }
    const mtime = entry.header.mtime;
    if (mtime && !Number.isNaN(mtime.getTime())) await lutimes(path, mtime, mtime);
    this.regularFiles.add(parts.join('/'));
  }

  private async hardlink(name: string, linkname: string, parts: string[], path: string): Promise<void> {
    let targetParts: string[];
    try {
      targetParts = entryComponents(linkname);
    } catch (err) {
      throw new UnsafeArchiveEntryError('link-escape', name, 'hard link target leaves the root', {
        cause: err,
      });
    }
    if (!this.regularFiles.has(targetParts.join('/'))) {
      throw new UnsafeArchiveEntryError(
        'hardlink-target',
        name,
        'hard link target is not a file extracted earlier',
      );
    }
    this.files++;
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await link(join(this.root, ...targetParts), path);
  }

  /** Symlinks last, each checked against the full set of links; then directory modes. */
  async finish(): Promise<void> {
    const isSymlink = (p: string) => this.symlinks.has(p);
    for (const { name, parts, target } of this.symlinks.values())
      resolveSymlinkTarget(name, parts, target, isSymlink);
    for (const { parts, target } of this.symlinks.values()) {
      const path = join(this.root, ...parts);
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await symlink(target, path);
      this.files++;
    }
    for (const [path, mode] of this.dirModes) await chmod(path, (mode & 0o777) | 0o700);
  }

  stats(): ExtractStats {
    return { entries: this.entries, files: this.files, bytes: this.bytes };
  }
}

/** Parser and decompressor failures (not ours, not local I/O) mean a malformed archive. */
function asFormatError(err: unknown): unknown {
  if (err instanceof ClawfleetError || typeof (err as { syscall?: unknown }).syscall === 'string') return err;
  return new ArchiveFormatError(`malformed archive stream: ${(err as Error).message}`, { cause: err });
}

function byteBudget(maxStreamBytes: number, maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > maxStreamBytes) callback(new ArchiveLimitError('bytes', maxBytes));
      else callback(null, chunk);
    },
  });
}
