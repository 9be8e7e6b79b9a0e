import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readFile, readlink, unlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { loadConfig } from '../../common/config.js';
import { compileCacheIsWarm, WARM_MARKER } from '../../dev/openclaw-compile-cache.js';
import { ensureOpenClaw, openclawCommand, PINNED_OPENCLAW } from '../../dev/openclaw-install.js';
import { compileCacheDir, trimmedBootEnv } from '../../supervisor/trimmed-boot.js';
import { linkCompileCache } from '../../local/sandbox/compile-cache-links.js';

describe('OpenClaw install (dev/openclaw-install.ts)', function () {
  // The first run on a fresh machine downloads ~220 MB; later runs hit the cache.
  this.timeout(11 * 60_000);

  it('installs the pinned version once into the cache, and its CLI answers --version on Node 24', async () => {
    const { cacheDir } = loadConfig().common;
    const report = (line: string) => console.log(`    [openclaw] ${line}`);
    const install = await ensureOpenClaw({ cacheDir, report });
    assert.equal(install.version, PINNED_OPENCLAW);
    assert.equal(install.dir, join(cacheDir, `openclaw-${PINNED_OPENCLAW}`));

    const [file, args] = openclawCommand(install, ['--version']);
    const result = spawnSync(file, args, { encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`OpenClaw ${PINNED_OPENCLAW.replace(/\./g, '\\.')}`));

    const manifest = JSON.parse(await readFile(join(install.dir, 'package.json'), 'utf8')) as {
      allowScripts?: object;
    };
    assert.ok(manifest.allowScripts, 'the install dir records the reviewed allowScripts');

    const again = await ensureOpenClaw({ cacheDir, report });
    assert.equal(again.installedNow, false, 'a second call reuses the cached install');
    assert.equal(again.dir, install.dir);
  });

  it('warms the compile cache at install time, and a gateway reads it through a read-only mount', async () => {
    const install = await ensureOpenClaw({ cacheDir: loadConfig().common.cacheDir });
    assert.ok(await compileCacheIsWarm(install.entry), 'ensureOpenClaw leaves a warmed cache');
    const cache = compileCacheDir(install.entry);
    const probe = spawnSync('unshare', ['--mount', 'true']);
    // The local sandbox needs mount namespaces too: a machine without them fails here, never skips.
    assert.equal(probe.status, 0, `no mount namespace here: ${probe.stderr?.toString().trim()}`);
    const files = () =>
      spawnSync('find', [cache, '-type', 'f'], { encoding: 'utf8' }).stdout.split('\n').length;
    const before = files();
    // Sandboxed tenants run under their own uid: every warmed entry must be readable by others
    // (entries unsandboxed root tenants add later, newer than the marker, are theirs alone).
    const marker = join(cache, WARM_MARKER);
    const unreadable = spawnSync(
      'find',
      [cache, '-type', 'f', '!', '-newer', marker, '!', '-perm', '-0004'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(unreadable.stdout.trim(), '', 'cache entries another uid cannot read');
    assert.ok(before > 1000, `the warm-up cached OpenClaw's modules (${before} files)`);
    // The tenant's environment, with the cache mounted read-only as a sandboxed tenant sees it.
    const [node, args] = openclawCommand(install, ['--version']);
    const script = `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"`;
    const result = spawnSync(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', cache, node, ...args],
      {
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          PATH: process.env['PATH'],
          ...trimmedBootEnv(install.entry),
          NODE_DEBUG_NATIVE: 'COMPILE_CACHE',
        },
      },
    );
    assert.equal(result.status, 0, result.stderr.slice(-2000));
    assert.match(result.stdout, new RegExp(PINNED_OPENCLAW.replace(/\./g, '\\.')));
    const hits = result.stderr.match(/code cache for ESM .* was accepted/g)?.length ?? 0;
    assert.ok(
      hits >= 3,
      `the launcher's modules come from the cache (${hits} hits):\n${result.stderr.slice(-2000)}`,
    );
    assert.doesNotMatch(result.stderr, /OPENCLAW_PACKAGED_COMPILE_CACHE|respawn/i);
    // Its own writes, from its own log: other processes on the host (unsandboxed root tenants) may add entries meanwhile.
    assert.doesNotMatch(
      result.stderr,
      /writing cache for .*success/,
      'a tenant never writes to the shared cache',
    );
  });

  it("serves the warmed cache to a sandbox's uid once linked for it, and nothing without the link", async () => {
    const install = await ensureOpenClaw({ cacheDir: loadConfig().common.cacheDir });
    const cache = compileCacheDir(install.entry);
    // Node keys the cache by getuid() (<tag>-<uid>): a slot's uid finds the worker's entries only through its link.
    const uid = 390_000 + randomInt(0, 10_000);
    // As a sandbox sees it: the install read-only, and nothing of the worker's home (/root is 700).
    // Elsewhere than on the host: the portable cache's entries are relative to its directory.
    const mounted = '/mnt/openclaw';
    const entry = join(mounted, relative(install.dir, install.entry));
    const asUid = () => {
      const view = [
        '--ro-bind',
        '/',
        '/',
        '--dev',
        '/dev',
        '--tmpfs',
        '/mnt',
        '--ro-bind',
        install.dir,
        mounted,
      ];
      const setpriv = ['setpriv', '--reuid', String(uid), '--regid', String(uid), '--clear-groups'];
      const result = spawnSync('bwrap', [...view, ...setpriv, install.node, entry, '--version'], {
        encoding: 'utf8',
        timeout: 60_000,
        cwd: '/',
        env: {
          PATH: process.env['PATH'],
          HOME: '/nonexistent',
          ...trimmedBootEnv(entry),
          NODE_DEBUG_NATIVE: 'COMPILE_CACHE',
        },
      });
      assert.equal(result.status, 0, result.stderr.slice(-2000));
      return result.stderr.match(/code cache for ESM .* was accepted/g)?.length ?? 0;
    };
    const made: string[] = [];
    try {
      assert.equal(asUid(), 0, 'without its link a sandbox uid compiles everything anew');
      made.push(...(await linkCompileCache(cache, uid)));
      assert.ok(made.length > 0, 'a link was made for the uid');
      for (const link of made)
        assert.equal(await readlink(join(cache, link)), link.replace(`-${uid}`, `-${process.getuid!()}`));
      const hits = asUid();
      assert.ok(
        hits >= 3,
        `the launcher's modules come from the cache under the sandbox's uid (${hits} hits)`,
      );
      assert.deepEqual(await linkCompileCache(cache, uid), [], 'linking again changes nothing');
    } finally {
      await Promise.all(made.map((link) => unlink(join(cache, link))));
    }
  });
});
