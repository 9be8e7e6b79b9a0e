import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../common/config.js';
import { ensureOpenClaw, openclawCommand, PINNED_OPENCLAW } from '../../dev/openclaw-install.js';

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
});
