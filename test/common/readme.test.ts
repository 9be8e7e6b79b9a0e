import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { listSettings, loadConfig } from '../../common/config.js';
import { replaceBlock } from '../../scripts/config-table.js';

describe('configuration', () => {
  it('README.md documents every setting with its default (regenerate with npm run docs:config)', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    assert.equal(readme, replaceBlock(readme), 'README configuration table is out of date');
  });

  it('every setting has a default that loads with an empty environment', () => {
    const config = loadConfig({});
    const settings = listSettings();
    assert.ok(settings.length > 50, `${settings.length} settings`);
    for (const { group, name } of settings) {
      const value = (config as unknown as Record<string, Record<string, unknown>>)[group]?.[name];
      assert.notEqual(value, undefined, `${group}.${name}`);
    }
  });

  it('rejects bad values with one error naming each variable and what it expects', () => {
    assert.throws(
      () => loadConfig({ CLAWFLEET_ROUTER_PORT: 'eighty', CLAWFLEET_RUNTIME: 'vm' }),
      /CLAWFLEET_ROUTER_PORT="eighty": must be integer.*CLAWFLEET_RUNTIME="vm": must be one of local, k8s/,
    );
  });
});
