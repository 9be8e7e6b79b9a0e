import { strict as assert } from 'node:assert';
import { lstat, mkdir, readdir, readFile, readlink, realpath, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { ClawfleetError } from '../../common/errors.js';
import {
  ArchiveFormatError,
  ArchiveLimitError,
  UnsafeArchiveEntryError,
  type UnsafeEntryReason,
} from '../../snapshots/errors.js';
import { extractTar, type ArchiveLimits } from '../../snapshots/extract.js';
import { replaceDirectory } from '../../snapshots/replace-directory.js';
import { tarOf, tempDir, type TarEntry } from './fixtures.js';

/** A sandbox: `target` to extract into, and `outside` holding a file nothing may touch. */
async function sandbox() {
  const dir = await tempDir();
  const target = join(dir.path, 'target');
  const outside = join(dir.path, 'outside');
  await mkdir(target);
  await mkdir(outside);
  await writeFile(join(outside, 'secret'), 'untouched');
  return {
    ...dir,
    target,
    async assertOutsideUntouched() {
      assert.deepEqual((await readdir(dir.path)).sort(), ['outside', 'target']);
      assert.deepEqual(await readdir(outside), ['secret']);
      assert.equal(await readFile(join(outside, 'secret'), 'utf8'), 'untouched');
    },
  };
}

async function extractEntries(target: string, entries: readonly TarEntry[], limits?: ArchiveLimits) {
  return extractTar(Readable.from([await tarOf(entries)]), target, limits);
}

const REFUSALS: [string, UnsafeEntryReason, TarEntry[]][] = [
  ['an absolute path', 'absolute-path', [{ name: '/tmp/evil', content: 'x' }]],
  ['a `..` segment', 'parent-segment', [{ name: 'workspace/../../outside/secret', content: 'x' }]],
  ['a leading `..`', 'parent-segment', [{ name: '../outside/new', content: 'x' }]],
  ['a backslash path', 'invalid-name', [{ name: '..\\..\\evil', content: 'x' }]],
  ['a symlink to an absolute path', 'link-escape', [{ name: 'etc', type: 'symlink', linkname: '/etc' }]],
  ['a symlink climbing out', 'link-escape', [{ name: 'a/up', type: 'symlink', linkname: '../../outside' }]],
  [
    'a symlink that escapes through another symlink',
    'link-escape',
    [
      { name: 'dot', type: 'symlink', linkname: '.' },
      { name: 'esc', type: 'symlink', linkname: 'dot/../outside' },
    ],
  ],
  [
    'a file written through a symlink',
    'beneath-link',
    [
      { name: 'ws', type: 'symlink', linkname: 'workspace' },
      { name: 'ws/file', content: 'x' },
    ],
  ],
  [
    'a hard link to a path outside',
    'link-escape',
    [{ name: 'h', type: 'link', linkname: '../outside/secret' }],
  ],
  ['a hard link to an absolute path', 'link-escape', [{ name: 'h', type: 'link', linkname: '/etc/passwd' }]],
  [
    'a hard link to something not extracted',
    'hardlink-target',
    [{ name: 'h', type: 'link', linkname: 'missing' }],
  ],
  ['a character device', 'special-file', [{ name: 'null', type: 'character-device' }]],
  ['a block device', 'special-file', [{ name: 'sda', type: 'block-device' }]],
  ['a fifo', 'special-file', [{ name: 'pipe', type: 'fifo' }]],
  [
    'a name that appears twice',
    'duplicate-entry',
    [
      { name: 'openclaw.json', content: 'a' },
      { name: 'openclaw.json', content: 'b' },
    ],
  ],
  [
    'a symlink replacing an extracted directory',
    'duplicate-entry',
    [
      { name: 'workspace/a', content: 'a' },
      { name: 'workspace', type: 'symlink', linkname: 'state' },
    ],
  ],
];

describe('safe extraction of untrusted archives', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  beforeEach(async () => (box = await sandbox()));
  afterEach(() => box.remove());

  it('extracts files, directories, in-tree symlinks and hard links with their content', async () => {
    const stats = await extractEntries(box.target, [
      { name: './workspace/', type: 'directory' },
      { name: 'workspace/MEMORY.md', content: 'remember' },
      { name: 'workspace/memory/today.md', content: 'today' },
      { name: 'workspace/latest', type: 'symlink', linkname: 'memory/today.md' },
      { name: 'agents/main/link-up', type: 'symlink', linkname: '../../workspace' },
      { name: 'workspace/hard', type: 'link', linkname: 'workspace/MEMORY.md' },
    ]);
    assert.deepEqual(stats, { entries: 6, files: 5, bytes: 13 });
    assert.equal(await readFile(join(box.target, 'workspace/latest'), 'utf8'), 'today');
    assert.equal(await readlink(join(box.target, 'agents/main/link-up')), '../../workspace');
    assert.equal((await lstat(join(box.target, 'workspace/hard'))).nlink, 2);
    await box.assertOutsideUntouched();
  });

  for (const [what, reason, entries] of REFUSALS) {
    it(`refuses ${what} and writes nothing outside the target`, async () => {
      await assert.rejects(
        extractEntries(box.target, entries),
        (err: unknown) =>
          err instanceof UnsafeArchiveEntryError &&
          err.reason === reason &&
          err.code === 'SNAPSHOT_UNSAFE_ENTRY',
      );
      await box.assertOutsideUntouched();
    });
  }

  it('refuses more entries than the file-count limit', async () => {
    const entries = Array.from({ length: 11 }, (_, i) => ({ name: `f${i}`, content: 'x' }));
    await assert.rejects(
      extractEntries(box.target, entries, { maxFiles: 10, maxBytes: 1e6 }),
      (err: unknown) => err instanceof ArchiveLimitError && err.limit === 'files' && err.max === 10,
    );
  });

  it('refuses an entry whose declared size would pass the unpacked-bytes limit, before writing it', async () => {
    await assert.rejects(
      extractEntries(box.target, [{ name: 'big', content: Buffer.alloc(2000) }], {
        maxFiles: 10,
        maxBytes: 1000,
      }),
      (err: unknown) => err instanceof ArchiveLimitError && err.limit === 'bytes',
    );
    await assert.rejects(lstat(join(box.target, 'big')), { code: 'ENOENT' });
  });

  it('refuses a truncated archive', async () => {
    const tar = await tarOf([{ name: 'a', content: Buffer.alloc(5000, 1) }]);
    await assert.rejects(extractTar(Readable.from([tar.subarray(0, 2000)]), box.target), ArchiveFormatError);
    await box.assertOutsideUntouched();
  });

  it('property: for any entry names and link targets, extraction either refuses with a typed error or stays inside the target', async () => {
    const segment = fc.constantFrom(
      'a',
      'b',
      'state',
      '..',
      '.',
      '',
      'outside',
      'secret',
      '\\',
      'x\\..',
      'C:',
    );
    const path = fc
      .array(segment, { minLength: 1, maxLength: 5 })
      .chain((parts) => fc.constantFrom('', '/', './', '../').map((lead) => lead + parts.join('/')));
    const entry: fc.Arbitrary<TarEntry> = fc.oneof(
      fc.record({ name: path, type: fc.constant('file' as const), content: fc.constant('payload') }),
      fc.record({ name: path, type: fc.constant('directory' as const) }),
      fc.record({ name: path, type: fc.constant('symlink' as const), linkname: path }),
      fc.record({ name: path, type: fc.constant('link' as const), linkname: path }),
      fc.record({ name: path, type: fc.constantFrom('fifo' as const, 'character-device' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 8 }), async (entries) => {
        const run = await sandbox();
        try {
          const outcome = await extractEntries(run.target, entries).then(
            () => undefined,
            (err: unknown) => err,
          );
          if (outcome !== undefined)
            assert.ok(outcome instanceof ClawfleetError, `untyped failure: ${(outcome as Error).message}`);
          await run.assertOutsideUntouched();
          await assertEverythingInside(run.target);
        } finally {
          await run.remove();
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** Every path under `root`, followed through its links, resolves inside `root`. */
async function assertEverythingInside(root: string): Promise<void> {
  const realRoot = await realpath(root);
  for (const name of await readdir(root, { recursive: true })) {
    const real = await realpath(join(root, name)).catch(() => undefined); // dangling links point nowhere
    if (real !== undefined)
      assert.ok(real === realRoot || real.startsWith(realRoot + sep), `${name} → ${real}`);
  }
}

describe('replacing a state dir from a staging dir', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => (dir = await tempDir()));
  afterEach(() => dir.remove());

  it('swaps in the filled staging dir and removes the old contents', async () => {
    const target = join(dir.path, 'state');
    await mkdir(target);
    await writeFile(join(target, 'old'), 'old');
    await replaceDirectory(target, (staging) => writeFile(join(staging, 'new'), 'new'));
    assert.deepEqual(await readdir(target), ['new']);
    assert.deepEqual(await readdir(dir.path), ['state']);
  });

  it('leaves the existing state dir untouched, and no staging debris, when filling fails', async () => {
    const target = join(dir.path, 'state');
    await mkdir(target);
    await writeFile(join(target, 'old'), 'old');
    await assert.rejects(
      replaceDirectory(target, async (staging) => {
        await writeFile(join(staging, 'half'), 'half');
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.deepEqual(await readdir(target), ['old']);
    assert.deepEqual(await readdir(dir.path), ['state']);
  });

  it('creates the target when it does not exist yet', async () => {
    const target = resolve(dir.path, 'tenants', 'acme');
    await replaceDirectory(target, (staging) => writeFile(join(staging, 'f'), 'f'));
    assert.deepEqual(await readdir(target), ['f']);
  });
});
