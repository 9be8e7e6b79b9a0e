/**
 * Name and link rules shared by packing and extraction, so the packer never
 * produces an archive the extractor would refuse. All checks are lexical, and
 * they are sound because extraction (1) never writes beneath a symlink entry
 * and (2) creates symlinks only after every other entry: a path of an archive
 * entry therefore names real directories all the way down.
 */
import { UnsafeArchiveEntryError } from './errors.js';

/** Linux PATH_MAX and NAME_MAX; longer names would fail at the syscall anyway. */
const MAX_PATH_LENGTH = 4096;
const MAX_COMPONENT_LENGTH = 255;

/**
 * The components of an archive entry name, relative to the archive root.
 * `./` prefixes and `.` segments are dropped; an empty result is the root itself.
 * Refuses absolute paths, `..` segments, NUL bytes, backslashes and over-long names.
 */
export function entryComponents(name: string): string[] {
  if (name.length === 0 || name.length > MAX_PATH_LENGTH || name.includes('\0')) {
    throw new UnsafeArchiveEntryError('invalid-name', name, 'empty, over-long or containing NUL');
  }
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) {
    throw new UnsafeArchiveEntryError('absolute-path', name, 'absolute paths are not allowed');
  }
  // A backslash is an ordinary byte on Linux, but a path separator to anything that reads
  // the archive on Windows; refusing it keeps `..\..\x` from meaning anything anywhere.
  if (name.includes('\\')) throw new UnsafeArchiveEntryError('invalid-name', name, 'backslash in name');
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..'))
    throw new UnsafeArchiveEntryError('parent-segment', name, '`..` segments are not allowed');
  if (parts.some((part) => part.length > MAX_COMPONENT_LENGTH)) {
    throw new UnsafeArchiveEntryError('invalid-name', name, 'a path component is longer than 255 characters');
  }
  return parts;
}

/**
 * Where a symlink at `linkParts` pointing at `target` lands, as components
 * relative to the root. Refuses absolute targets, targets that climb above the
 * root, and targets that pass through another symlink of the archive
 * (`isSymlink`), whose own target would make the lexical answer wrong.
 */
export function resolveSymlinkTarget(
  linkName: string,
  linkParts: readonly string[],
  target: string,
  isSymlink: (path: string) => boolean,
): string[] {
  if (
    target.length === 0 ||
    target.length > MAX_PATH_LENGTH ||
    target.includes('\0') ||
    target.includes('\\')
  ) {
    throw new UnsafeArchiveEntryError(
      'invalid-name',
      linkName,
      'symlink target is empty, over-long or malformed',
    );
  }
  if (target.startsWith('/')) {
    throw new UnsafeArchiveEntryError('link-escape', linkName, 'symlink target is absolute');
  }
  const resolved = linkParts.slice(0, -1);
  const steps = target.split('/').filter((part) => part !== '' && part !== '.');
  steps.forEach((step, index) => {
    if (step === '..') {
      if (resolved.length === 0) {
        throw new UnsafeArchiveEntryError(
          'link-escape',
          linkName,
          `symlink target ${JSON.stringify(target)} leaves the root`,
        );
      }
      resolved.pop();
      return;
    }
    resolved.push(step);
    if (index < steps.length - 1 && isSymlink(resolved.join('/'))) {
      throw new UnsafeArchiveEntryError(
        'link-escape',
        linkName,
        'symlink target passes through another symlink',
      );
    }
  });
  return resolved;
}

/** True when some proper prefix of `parts` is in `symlinks` (the entry would be written through a link). */
export function isBeneathSymlink(
  parts: readonly string[],
  symlinks: { has(path: string): boolean },
): boolean {
  for (let i = 1; i < parts.length; i++) {
    if (symlinks.has(parts.slice(0, i).join('/'))) return true;
  }
  return false;
}
