/**
 * Prints the README's configuration table from common/config.ts, the single
 * source of truth. `npm run docs:config` rewrites the README block; a test
 * fails when the README and the code disagree.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { listSettings } from '../common/config.js';

export const START = '<!-- config-table:start -->';
export const END = '<!-- config-table:end -->';

export function configTable(): string {
  const rows = listSettings().map(({ group, name, setting: { env, schema } }) => {
    const def = (schema as { default?: unknown }).default;
    const shown = def === '' ? '(empty)' : `\`${String(def)}\``;
    const meaning = (schema as { description?: string }).description ?? '';
    return `| \`${env}\` | \`${group}.${name}\` | ${shown} | ${meaning} |`;
  });
  return ['| Variable | Setting | Default | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

export function replaceBlock(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the ${START} ... ${END} markers`);
  return `${readme.slice(0, start + START.length)}\n${configTable()}\n${readme.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = fileURLToPath(new URL('../README.md', import.meta.url));
  await writeFile(path, replaceBlock(await readFile(path, 'utf8')));
  console.log('README.md configuration table updated');
}
